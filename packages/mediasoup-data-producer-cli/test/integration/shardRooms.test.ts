// Rooms and consumers across shards, as users start them: the built CLI against the local
// router, bots of one room in different processes consuming each other through the app.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Report } from '../../src/report.js';
import { assertBuilt, killingShard, readReport, runCli, shardPids } from '../support/runCli.js';

jest.setTimeout(120000);

let tmp: string;

beforeAll(() => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'mdp-shard-rooms-test-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** The shard that ran bot `bot`, from the report's shard ranges. */
function shardOf(report: Report, bot: number): number | undefined {
  return report.shards?.find((s) => bot >= s.first && bot < s.first + s.transports)?.index;
}

const demo = (reportDir: string, extra: string[]): string[] => [
  'demo',
  '--size',
  '256',
  '--no-progress',
  '--report-dir',
  reportDir,
  ...extra,
];

describe('demo --shards with rooms and consumers', () => {
  test('demo --room-size 4 -t 8 --shards 3 delivers every message to every consumer of rooms that span shards', async () => {
    const reportDir = join(tmp, 'rooms');
    const result = await runCli(
      demo(reportDir, ['--room-size', '4', '-t', '8', '--shards', '3', '--duration', '3']),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(shardPids(result.stdout)).toHaveLength(3);
    const report = readReport(reportDir);
    expect(report.shards?.map((s) => [s.status, s.first, s.transports])).toEqual([
      ['ok', 0, 3],
      ['ok', 3, 3],
      ['ok', 6, 2],
    ]);
    // Both rooms (bots 0-3 and 4-7) have bots in two shards.
    const shardsOfRoom = (room: number): Set<number | undefined> =>
      new Set([0, 1, 2, 3].map((i) => shardOf(report, room * 4 + i)));
    expect(shardsOfRoom(0)).toEqual(new Set([0, 1]));
    expect(shardsOfRoom(1)).toEqual(new Set([1, 2]));

    const { summary } = report;
    expect(summary.transports).toMatchObject({ total: 8, opened: 8, failed: 0 });
    expect(summary.sent.messages).toBeGreaterThan(0);
    expect(summary.consumers).toMatchObject({
      mode: 'rooms of 4',
      recvTransports: { total: 8, opened: 8, failed: 0 },
      dataConsumers: 24,
      fanOut: 3,
      lost: 0,
      outOfOrder: 0,
    });
    // Every message to each of the 3 other bots of its room, wherever they ran.
    expect(summary.consumers?.expected).toBe(summary.sent.messages * 3);
    expect(summary.consumers?.received.messages).toBe(summary.sent.messages * 3);
    expect(summary.consumers?.latencyMs?.count).toBe(summary.sent.messages * 3);
    expect(result.stdout).toMatch(/^ {2}counted +.*every DataConsumer of every shard was open/m);
  });

  test('demo --consumers 2 -t 6 --shards 2 delivers each producer to the 2 bots after it, across the shards', async () => {
    const reportDir = join(tmp, 'consumers');
    const result = await runCli(
      demo(reportDir, ['--consumers', '2', '-t', '6', '--shards', '2', '--duration', '3']),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { summary } = readReport(reportDir);
    expect(summary.consumers).toMatchObject({ dataConsumers: 12, lost: 0 });
    expect(summary.sent.messages).toBeGreaterThan(0);
    expect(summary.consumers?.expected).toBe(summary.sent.messages * 2);
    expect(summary.consumers?.received.messages).toBe(summary.sent.messages * 2);
  });

  test('demo --room-size 4 --shards 3 with a shard killed mid-run reports its bots failed and the others deliver everything', async () => {
    const reportDir = join(tmp, 'killed');
    const shard1 = killingShard(1, 2500);
    const result = await runCli(
      demo(reportDir, [
        '--room-size',
        '4',
        '-t',
        '6',
        '--shards',
        '3',
        '--rate',
        '10',
        '--duration',
        '6',
      ]),
      shard1.options,
    );
    const killed = shard1.killed();
    expect(killed).toBeDefined();
    expect(result.code).toBe(1);
    const report = readReport(reportDir);
    expect(report.shards?.map((s) => s.status)).toEqual(['ok', 'failed', 'ok']);
    expect(report.summary.transports).toMatchObject({ total: 6, opened: 4, failed: 2 });
    // The survivors consumed each other to the end; the dead shard's producers are not expected.
    const consumers = report.summary.consumers;
    expect(consumers?.lost).toBe(0);
    expect(consumers?.expected).toBeGreaterThan(0);
    expect(consumers?.received.messages).toBe(consumers?.expected);
    // The end did not wait for the dead shard's counts: it was dropped from the barrier.
    expect(report.summary.remarks).not.toContain(
      'the end did not wait for every message (see --drain-timeout)',
    );
    // Bots 0 and 1 consumed bots 2 and 3 until their shard died.
    expect(consumers?.notExpected?.dataConsumers).toBe(4);
    expect(consumers?.notExpected?.messages).toBeGreaterThan(0);
    expect(result.stdout).toMatch(
      /^ {2}delivered +.*besides, [\d,]+ from a failed shard's producers on 4 DataConsumers$/m,
    );
    const survivorsSent = report.transports
      .filter((t) => t.status === 'closed')
      .map((t) => t.producers[0]?.sent ?? 0);
    expect(Math.min(...survivorsSent)).toBeGreaterThanOrEqual(40);
  });

  test('demo --room-size 4 --shards 3 with a shard killed before its producers were handed over releases the others without it', async () => {
    const reportDir = join(tmp, 'killed-early');
    const shard1 = killingShard(1, 1500);
    // With a ramp-up of 6 s, bot i opens at i s: shard 1 (bots 2, 3) dies before the
    // producers' barrier, which shard 2 (bots 4, 5) reaches only at about 5 s.
    const result = await runCli(
      demo(reportDir, [
        '--room-size',
        '4',
        '-t',
        '6',
        '--shards',
        '3',
        '--rate',
        '10',
        '--ramp-up',
        '6',
        '--duration',
        '10',
      ]),
      shard1.options,
    );
    const killed = shard1.killed();
    expect(killed).toBeDefined();
    expect(result.code).toBe(1);
    const report = readReport(reportDir);
    expect(report.shards?.map((s) => s.status)).toEqual(['ok', 'failed', 'ok']);
    expect(report.summary.transports).toMatchObject({ total: 6, opened: 4, failed: 2 });
    const consumers = report.summary.consumers;
    expect(consumers?.lost).toBe(0);
    expect(consumers?.expected).toBeGreaterThan(0);
    expect(consumers?.received.messages).toBe(consumers?.expected);
    // The survivors sent once released, not only after their run's end.
    const survivorsSent = report.transports
      .filter((t) => t.status === 'closed')
      .map((t) => t.producers[0]?.sent ?? 0);
    expect(Math.min(...survivorsSent)).toBeGreaterThanOrEqual(20);
  });
});

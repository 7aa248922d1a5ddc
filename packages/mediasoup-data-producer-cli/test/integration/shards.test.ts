// Sharded runs as users start them: the built CLI against the local router, its bots in
// several child processes, one summary and one report.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Histogram } from 'mediasoup-data-bots';

import { assertBuilt, killingShard, readReport, runCli, shardPids } from '../support/runCli.js';

jest.setTimeout(120000);

let tmp: string;

beforeAll(() => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'mdp-shards-test-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const demo = (reportDir: string, extra: string[]): string[] => [
  'demo',
  '--room-size',
  '0',
  '--size',
  '256',
  '--no-progress',
  '--report-dir',
  reportDir,
  ...extra,
];

describe('demo --shards', () => {
  test('demo --shards 3 runs its bots in 3 processes whose counters and histograms add up', async () => {
    const reportDir = join(tmp, 'three');
    const result = await runCli(
      demo(reportDir, ['--transports', '9', '--shards', '3', '--rate', '20', '--duration', '3']),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const pids = shardPids(result.stdout);
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(3);

    const report = readReport(reportDir);
    const { summary } = report;
    expect(report.shards?.map((s) => [s.status, s.first, s.transports])).toEqual([
      ['ok', 0, 3],
      ['ok', 3, 3],
      ['ok', 6, 3],
    ]);
    expect(report.shards?.map((s) => s.pid)).toEqual(pids);
    // One run: every transport once, numbered across the shards.
    expect(report.transports.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(summary.transports).toMatchObject({ total: 9, opened: 9, failed: 0 });
    const sentByProducers = report.transports.reduce(
      (n, t) => n + t.producers.reduce((m, p) => m + p.sent, 0),
      0,
    );
    const sentByShards = (report.shards ?? []).reduce((n, s) => n + s.lastSentMessages, 0);
    expect(summary.sent.messages).toBeGreaterThan(0);
    expect(sentByProducers).toBe(summary.sent.messages);
    expect(sentByShards).toBe(summary.sent.messages);
    expect(summary.received?.messages).toBe(summary.sent.messages);
    expect(summary.lost).toBe(0);

    // The run's latency histogram is the merge of the shards' (HdrHistogram, exact).
    const merged = new Histogram();
    for (const s of report.shards ?? []) merged.add(Histogram.decode(s.latencyHistogram ?? ''));
    expect(merged.count).toBe(summary.received?.messages);
    expect(Histogram.decode(report.latencyHistogram ?? '').summary()).toEqual(merged.summary());
    expect(summary.latencyMs).toEqual(merged.summary());
    expect(summary.shards).toEqual({ total: 3, failed: [] });
    expect(summary.memory?.perBotBytes).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/^ {2}shards +3 processes, all ended$/m);
    expect(result.stdout).toMatch(/µs per bot-second/);
  });

  test('demo --shards 3 with a shard killed mid-run reports its bots failed and exits 1 while the others finish', async () => {
    const reportDir = join(tmp, 'killed');
    // Once it runs its bots: 2 s into the run.
    const shard1 = killingShard(1, 2000);
    const result = await runCli(
      demo(reportDir, ['--transports', '6', '--shards', '3', '--rate', '10', '--duration', '6']),
      shard1.options,
    );
    const killed = shard1.killed();
    expect(killed).toBeDefined();
    expect(result.code).toBe(1);
    const report = readReport(reportDir);
    expect(report.shards?.map((s) => s.status)).toEqual(['ok', 'failed', 'ok']);
    expect(report.shards?.[1]).toMatchObject({ pid: killed, error: 'killed by SIGKILL' });
    expect(report.transports.map((t) => t.status)).toEqual([
      'closed',
      'closed',
      'failed',
      'failed',
      'closed',
      'closed',
    ]);
    // The others went on to the end and lost nothing.
    expect(report.summary.transports).toMatchObject({ total: 6, opened: 4, failed: 2 });
    expect(report.summary.lost).toBe(0);
    const survivorsSent = report.transports
      .filter((t) => t.status === 'closed')
      .map((t) => t.producers[0]?.sent ?? 0);
    expect(Math.min(...survivorsSent)).toBeGreaterThanOrEqual(40);
    expect(report.summary.problems).toContain(`shard 1 (pid ${killed}) failed: killed by SIGKILL`);
    expect(result.stdout).toMatch(/^ {2}shards +3 processes, failed: 1$/m);
  });

  test('demo --shards 2 on SIGINT stops every shard, writes the report and exits 130', async () => {
    const reportDir = join(tmp, 'sigint');
    let pids: number[] | undefined;
    const result = await runCli(
      demo(reportDir, ['--transports', '4', '--shards', '2', '--rate', '10', '--duration', '60']),
      {
        onStdout: (child, stdout) => {
          if (pids || !shardPids(stdout)) return;
          pids = shardPids(stdout);
          setTimeout(() => {
            child.kill('SIGINT');
          }, 3000);
        },
      },
    );
    expect(result.code).toBe(130);
    expect(result.ms).toBeLessThan(40000);
    const report = readReport(reportDir);
    expect(report.summary.outcome).toBe('interrupted');
    expect(report.shards?.map((s) => s.status)).toEqual(['ok', 'ok']);
    expect(report.summary.sent.messages).toBeGreaterThan(0);
    // Every shard has ended.
    for (const pid of pids ?? []) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('--shards and --bots-per-shard', () => {
  test('demo with contradictory --shards and --bots-per-shard exits 2 with the reason', async () => {
    const result = await runCli(
      demo(join(tmp, 'bad'), ['--transports', '10', '--shards', '2', '--bots-per-shard', '4']),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --shards 2 × --bots-per-shard 4 = 8 bots, fewer than --transports 10: give one of them, or enough of both\n',
    );
  });

  test('demo --shards 0 exits 2: an integer from 1', async () => {
    const result = await runCli(demo(join(tmp, 'zero'), ['--shards', '0']));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--shards <n>' argument '0' is invalid. expected an integer from 1/,
    );
  });

  test('demo with rooms and no --shards runs in one process by default', async () => {
    const reportDir = join(tmp, 'rooms');
    const result = await runCli(
      demo(reportDir, ['--transports', '8', '--duration', '1']).filter(
        (a, i, all) => a !== '--room-size' && all[i - 1] !== '--room-size',
      ),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(shardPids(result.stdout)).toBeUndefined();
    const report = readReport(reportDir);
    expect(report.shards).toBeUndefined();
    expect(report.summary.consumers).toMatchObject({ mode: 'rooms of 4', lost: 0 });
  });
});

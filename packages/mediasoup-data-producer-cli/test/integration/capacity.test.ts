// The capacity search on the local router, bounded, through the built CLI (its pure parts:
// unit/capacity.test.ts).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assertBuilt, runCli } from '../support/runCli.js';

jest.setTimeout(90000);

describe('capacity on the local router', () => {
  let tmp: string;

  beforeAll(() => {
    assertBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'mdp-capacity-test-'));
  });

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  test('capacity with a p99 bound no step can meet stops at the first step and exits 1', async () => {
    const jsonPath = join(tmp, 'capacity-fail.json');
    const result = await runCli([
      'capacity',
      '-t',
      '2',
      '-r',
      '20',
      '-d',
      '1',
      '--max-p99',
      '0.001',
      '--no-progress',
      '--no-report',
      '--json',
      jsonPath,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /step 1: 20 msg\/s per producer .*: FAILED \(p99 latency [\d.]+ ms > 0\.001 ms\)/,
    );
    expect(result.stdout).toContain('sustained  none: the first step failed');
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      steps: unknown[];
      stoppedBy: string;
    };
    expect(report.steps).toHaveLength(1);
    expect(report.stoppedBy).toBe('failed-step');
  });

  test('capacity with rooms of 2 and a generous bound reports a positive sustained rate', async () => {
    const jsonPath = join(tmp, 'capacity-ok.json');
    const result = await runCli([
      'capacity',
      '-t',
      '2',
      '-r',
      '20',
      '-d',
      '1',
      '--room-size',
      '2',
      '--max-steps',
      '2',
      '--max-p99',
      '5000',
      '--no-progress',
      '--no-report',
      '--json',
      jsonPath,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      steps: { rate: number; passed: boolean; lost: number }[];
      sustained: { ratePerProducer: number; total: { messagesPerSecond: number } };
      stoppedBy: string;
    };
    expect(report.steps.map((s) => [s.rate, s.passed, s.lost])).toEqual([
      [20, true, 0],
      [40, true, 0],
    ]);
    expect(report.stoppedBy).toBe('max-steps');
    expect(report.sustained.ratePerProducer).toBe(40);
    expect(report.sustained.total.messagesPerSecond).toBeGreaterThan(0);
    expect(result.stdout).toMatch(
      /sustained {2}40 msg\/s per producer: [\d,]+ msg\/s, [\d.]+ MB\/s in total/,
    );
  });
});

// The capacity search's pure parts, with made-up step summaries (integration/capacity.test.ts
// runs one bounded search on the local router through the built CLI).

import {
  formatCapacity,
  judgeStep,
  searchCapacity,
  stepRates,
  type CapacityResult,
} from '../../src/capacity.js';
import type { Summary } from '../../src/summary.js';

/** A passing step's summary at this sent rate and p99 (only what the search reads). */
function summary(sentPerSecond: number, p99: number, problems: string[] = []): Summary {
  return {
    problems,
    outcome: problems.length > 0 ? 'failed' : 'ok',
    throughput: {
      sent: { messagesPerSecond: sentPerSecond, megabytesPerSecond: sentPerSecond / 1000 },
    },
    lost: problems.length > 0 ? 5 : 0,
    outOfOrder: 0,
    latencyMs: { p50: p99 / 2, p95: p99, p99, max: p99, mean: p99 / 2, count: 10 },
  } as unknown as Summary;
}

describe('stepRates()', () => {
  test('stepRates() doubling from 50 for 4 steps gives 50, 100, 200, 400', () => {
    expect(stepRates({ startRate: 50, factor: 2, maxSteps: 4 })).toEqual([50, 100, 200, 400]);
  });
});

describe('judgeStep()', () => {
  test('judgeStep() with p99 above the bound fails naming the latency', () => {
    expect(judgeStep(summary(100, 250), 100, { maxP99Ms: 200 })).toEqual([
      'p99 latency 250.0 ms > 200 ms',
    ]);
  });

  test('judgeStep() sending below 90 % of the offered rate fails naming the shortfall', () => {
    expect(judgeStep(summary(80, 1), 100, { maxP99Ms: 200 })).toEqual([
      'sent 80 msg/s of 100 offered',
    ]);
  });

  test('judgeStep() within the bound passes', () => {
    expect(judgeStep(summary(99, 10), 100, { maxP99Ms: 200 })).toEqual([]);
  });
});

describe('searchCapacity()', () => {
  test('searchCapacity() when the third step loses messages reports the second as sustained', async () => {
    const rates: number[] = [];
    const result = await searchCapacity(
      { startRate: 10, factor: 2, maxSteps: 6 },
      { maxP99Ms: 200 },
      { producers: 4, size: 1000 },
      (rate) => {
        rates.push(rate);
        return Promise.resolve(
          rate >= 40 ? summary(rate * 4, 5, ['5 messages lost']) : summary(rate * 4, 5),
        );
      },
    );
    expect(rates).toEqual([10, 20, 40]);
    expect(result.stoppedBy).toBe('failed-step');
    expect(result.sustained?.rate).toBe(20);
    expect(result.sustained?.offered).toEqual({ messagesPerSecond: 80, megabytesPerSecond: 0.08 });
    expect(result.steps.map((s) => s.passed)).toEqual([true, true, false]);
    expect(result.steps[2]?.reasons).toEqual(['5 messages lost']);
  });

  test('searchCapacity() when every step passes stops after maxSteps', async () => {
    const result = await searchCapacity(
      { startRate: 10, factor: 3, maxSteps: 2 },
      { maxP99Ms: 200 },
      { producers: 1, size: 100 },
      (rate) => Promise.resolve(summary(rate, 1)),
    );
    expect(result.stoppedBy).toBe('max-steps');
    expect(result.sustained?.rate).toBe(30);
  });
});

describe('formatCapacity()', () => {
  test('formatCapacity() when the first step failed says none was sustained', () => {
    const result: CapacityResult = { steps: [], stoppedBy: 'failed-step' };
    expect(
      formatCapacity(result, { transports: 2, producers: 1, size: 64 }, { maxP99Ms: 1 }),
    ).toContain('  sustained  none: the first step failed');
  });
});

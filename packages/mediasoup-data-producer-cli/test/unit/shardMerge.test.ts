// A sharded run's parts made one: the shard plan and its option checks, the receiving
// side's HDR latency histograms merged exactly, counters summed, a failed shard's bots failed.

import { Histogram, histogramOf, type ReceiverReport } from 'mediasoup-data-bots';

import { mergeReceiverReports, mergeShardResults, type ShardPart } from '../../src/engine/index.js';
import type { EngineResult, ShardOutcome } from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { planShards } from '../../src/shardPlan.js';
import { formatRate } from '../../src/summary.js';

function receiverOf(latencies: number[], producer: string): ReceiverReport {
  const h = histogramOf(latencies);
  return {
    messages: latencies.length,
    bytes: latencies.length * 100,
    outOfOrder: 0,
    malformed: 0,
    producers: {
      [producer]: { messages: latencies.length, bytes: latencies.length * 100, outOfOrder: 0 },
    },
    firstAt: 1000,
    lastAt: 2000 + latencies.length,
    latencyMs: h.summary(),
    latencyHistogram: h.encode(),
  };
}

function resultOf(first: number, sent: number, latencies: number[]): EngineResult {
  return {
    runId: `run-s${first}`,
    startedAt: 1000,
    endedAt: 5000,
    endReason: 'duration',
    interrupted: false,
    sendStartedAt: 1100 + first,
    sendEndedAt: 4000 + first,
    drained: true,
    sentMessages: sent,
    sentBytes: sent * 100,
    maxBufferedAmount: 10,
    transports: [
      {
        index: first,
        id: `t${first}`,
        status: 'closed',
        connectMs: 5,
        error: undefined,
        producers: [
          { index: 0, id: `p${first}`, label: 'l', sent, bytes: sent * 100, error: undefined },
        ],
      },
    ],
    timeline: [
      {
        second: 2,
        sentMessages: sent,
        sentBytes: sent * 100,
        bufferedAmount: 10,
        openTransports: 1,
      },
    ],
    receiver: receiverOf(latencies, `p${first}`),
    clientCpuSeconds: 1,
    clientMemoryBytes: 1e6,
    workerCpuSeconds: undefined,
    errors: [],
    errorCount: 0,
    warnings: [],
  };
}

const outcome = (index: number, first: number, status: ShardOutcome['status']): ShardOutcome => ({
  index,
  pid: 100 + index,
  first,
  transports: 1,
  status,
  lastSentMessages: 0,
  ...(status === 'failed' && { error: 'killed by SIGKILL', endedAtMs: 1500 }),
});

const context = {
  runId: 'run',
  producers: 1,
  labelOf: (t: number, p: number) => `mdp-${t}-${p}`,
  startedAt: 1000,
  endedAt: 6000,
  interrupted: false,
  parentCpuSeconds: 0.5,
  workerCpuSeconds: 2,
  warnings: [],
};

describe('mergeReceiverReports()', () => {
  test('mergeReceiverReports() of shards merges their latency histograms exactly, not averaged', () => {
    const a = Array.from({ length: 1000 }, (_, i) => 1 + i / 100);
    const b = Array.from({ length: 10 }, (_, i) => 500 + i);
    const merged = mergeReceiverReports([receiverOf(a, 'pa'), receiverOf(b, 'pb')]);
    const expected = histogramOf([...a, ...b]);
    expect(merged?.latencyMs).toEqual(expected.summary());
    const parts = Histogram.decode(receiverOf(a, 'pa').latencyHistogram ?? '');
    parts.add(Histogram.decode(receiverOf(b, 'pb').latencyHistogram ?? ''));
    expect(Histogram.decode(merged?.latencyHistogram ?? '').summary()).toEqual(parts.summary());
    // An average of the shards' p99 would be about 255 ms; the merged p99 is the whole run's.
    expect(merged?.latencyMs?.p99).toBeLessThan(20);
    expect(merged).toMatchObject({ messages: 1010, bytes: 101000, firstAt: 1000, lastAt: 3000 });
    expect(Object.keys(merged?.producers ?? {}).sort()).toEqual(['pa', 'pb']);
  });

  test('mergeReceiverReports() with percentiles but no histogram gives no latency and warns', () => {
    const plain = { ...receiverOf([1, 2], 'pa'), latencyHistogram: undefined };
    const warnings: string[] = [];
    const merged = mergeReceiverReports([plain, receiverOf([3], 'pb')], (w) => warnings.push(w));
    expect(merged?.latencyMs).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });
});

describe('mergeShardResults()', () => {
  test('mergeShardResults() sums the counters and CPU and puts the transports together', () => {
    const parts: ShardPart[] = [
      { outcome: outcome(0, 0, 'ok'), result: resultOf(0, 7, [1, 2, 3]) },
      { outcome: outcome(1, 1, 'ok'), result: resultOf(1, 5, [4, 5]) },
    ];
    const merged = mergeShardResults(parts, context);
    expect(merged.sentMessages).toBe(12);
    expect(merged.sentBytes).toBe(1200);
    expect(merged.receiver?.messages).toBe(5);
    expect(merged.transports.map((t) => t.index)).toEqual([0, 1]);
    expect(merged.clientCpuSeconds).toBe(2.5);
    expect(merged.clientMemoryBytes).toBe(2e6);
    expect(merged.timeline).toEqual([
      { second: 2, sentMessages: 12, sentBytes: 1200, bufferedAmount: 20, openTransports: 2 },
    ]);
    expect(merged.sendStartedAt).toBe(1100);
    expect(merged.sendEndedAt).toBe(4001);
    expect(merged.workerCpuSeconds).toBe(2);
  });

  test('mergeShardResults() with a failed shard counts its bots as failed and says why', () => {
    const parts: ShardPart[] = [
      { outcome: outcome(0, 0, 'ok'), result: resultOf(0, 7, [1]) },
      { outcome: outcome(1, 1, 'failed'), result: undefined },
    ];
    const merged = mergeShardResults(parts, context);
    expect(merged.sentMessages).toBe(7);
    expect(merged.transports[1]).toMatchObject({
      index: 1,
      status: 'failed',
      error: 'shard 1 failed: killed by SIGKILL',
    });
    expect(merged.transports[1]?.producers[0]?.label).toBe('mdp-1-0');
    expect(merged.errorCount).toBe(1);
    expect(merged.errors[0]).toMatchObject({ atMs: 1500 });
    expect(merged.shards?.[1]?.status).toBe('failed');
  });
});

describe('planShards()', () => {
  test('planShards() by default keeps each shard at most 400 bots and uses the cores', () => {
    expect(planShards({ bots: 20, cores: 2 })).toEqual([20]);
    expect(planShards({ bots: 300, cores: 2 })).toEqual([150, 150]);
    expect(planShards({ bots: 10000, cores: 2 })).toHaveLength(25);
    expect(Math.max(...planShards({ bots: 1001, cores: 1 }))).toBeLessThanOrEqual(400);
  });

  test('planShards() with --shards or --bots-per-shard splits evenly', () => {
    expect(planShards({ bots: 10, shards: 3 })).toEqual([4, 3, 3]);
    expect(planShards({ bots: 10, botsPerShard: 4 })).toEqual([4, 3, 3]);
    expect(planShards({ bots: 10, shards: 3, botsPerShard: 4 })).toEqual([4, 3, 3]);
  });

  test('planShards() with contradictory --shards and --bots-per-shard throws a UsageError', () => {
    expect(() => planShards({ bots: 10, shards: 2, botsPerShard: 4 })).toThrow(UsageError);
    expect(() => planShards({ bots: 10, shards: 2, botsPerShard: 4 })).toThrow(
      '--shards 2 × --bots-per-shard 4 = 8 bots, fewer than --transports 10',
    );
    expect(() => planShards({ bots: 10, shards: 5, botsPerShard: 4 })).toThrow(
      'would leave some empty',
    );
    expect(() => planShards({ bots: 3, shards: 4 })).toThrow('more shards than bots');
  });
});

describe('formatRate()', () => {
  test('formatRate() of a fractional --rate keeps its fraction (0.1 msg/s, not 0)', () => {
    expect(formatRate(0.1)).toBe('0.1');
    expect(formatRate(2.5)).toBe('2.5');
    expect(formatRate(20)).toBe('20');
    expect(formatRate(12000)).toBe('12,000');
  });
});

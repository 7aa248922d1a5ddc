// Rooms and consumers across shards, without processes: the barriers the shards meet at
// through the parent, which bots a shard's bots consume, and the consumers' counts merged.

import type { ReceiverReport } from 'mediasoup-data-bots';

import {
  consumedBots,
  consumedBotsOfShard,
  mergeConsumerSides,
  mergeProducerMaps,
  mergeSentMaps,
  ShardBarrier,
  type ConsumerSideResult,
  type ShardStage,
} from '../../src/engine/index.js';

function barrierOf(shards: number): { barrier: ShardBarrier; released: [ShardStage, unknown[]][] } {
  const released: [ShardStage, unknown[]][] = [];
  const barrier = new ShardBarrier(shards, (stage, payloads) => {
    released.push([stage, payloads]);
  });
  return { barrier, released };
}

describe('ShardBarrier', () => {
  test('ShardBarrier.arrive() releases a stage once every shard has reached it, with their parts', () => {
    const { barrier, released } = barrierOf(3);
    barrier.arrive(0, 'producers', { 0: ['a'] });
    barrier.arrive(2, 'producers', { 2: ['c'] });
    expect(released).toEqual([]);
    barrier.arrive(1, 'producers', { 1: ['b'] });
    expect(released).toEqual([['producers', [{ 0: ['a'] }, { 1: ['b'] }, { 2: ['c'] }]]]);
    barrier.arrive(0, 'consumersOpen');
    barrier.arrive(1, 'consumersOpen');
    expect(barrier.releasedStages).toEqual(['producers']);
    barrier.arrive(2, 'consumersOpen');
    expect(released.map(([stage]) => stage)).toEqual(['producers', 'consumersOpen']);
  });

  test('ShardBarrier.arrive() at a later stage passes the earlier ones (a shard whose run stopped early)', () => {
    const { barrier, released } = barrierOf(2);
    barrier.arrive(0, 'producers', { 0: ['a'] });
    barrier.arrive(1, 'sent', { b: 5 });
    expect(released.map(([stage]) => stage)).toEqual(['producers']);
    expect(released[0]?.[1]).toEqual([{ 0: ['a'] }]);
    barrier.arrive(0, 'consumersOpen');
    barrier.arrive(0, 'sent', { a: 7 });
    expect(released).toEqual([
      ['producers', [{ 0: ['a'] }]],
      ['consumersOpen', []],
      ['sent', [{ a: 7 }, { b: 5 }]],
    ]);
    // Once each: a second arrival changes nothing.
    barrier.arrive(1, 'sent', { b: 6 });
    expect(released).toHaveLength(3);
  });

  test('ShardBarrier.drop() of a shard that died releases the others without its part', () => {
    const { barrier, released } = barrierOf(3);
    barrier.arrive(0, 'producers', { 0: ['a'] });
    barrier.arrive(1, 'producers', { 1: ['b'] });
    barrier.arrive(0, 'consumersOpen');
    barrier.arrive(1, 'consumersOpen');
    expect(released).toEqual([]);
    barrier.drop(2);
    expect(released).toEqual([
      ['producers', [{ 0: ['a'] }, { 1: ['b'] }]],
      ['consumersOpen', []],
    ]);
    barrier.arrive(1, 'sent', { b: 1 });
    barrier.drop(0);
    expect(released[2]).toEqual(['sent', [{ b: 1 }]]);
  });

  test('mergeProducerMaps() and mergeSentMaps() put the shards parts together', () => {
    expect(mergeProducerMaps([{ 0: ['a'], 1: ['b'] }, { 2: ['c', 'd'] }])).toEqual({
      0: ['a'],
      1: ['b'],
      2: ['c', 'd'],
    });
    expect(mergeSentMaps([{ a: 1 }, { b: 2 }])).toEqual({ a: 1, b: 2 });
  });
});

describe('consumedBotsOfShard()', () => {
  test('consumedBotsOfShard() gives a shard its bots part of the run plan, rooms spanning shards', () => {
    // 8 bots in shards of 3, 3, 2, rooms of 4: room 0 is bots 0-3 (shards 0 and 1).
    expect(consumedBotsOfShard(8, 0, 3, { consumers: 0, roomSize: 4 })).toEqual([
      [1, 2, 3],
      [0, 2, 3],
      [0, 1, 3],
    ]);
    expect(consumedBotsOfShard(8, 3, 3, { consumers: 0, roomSize: 4 })).toEqual([
      [0, 1, 2],
      [5, 6, 7],
      [4, 6, 7],
    ]);
    // The ring of consumers wraps over the run, not over the shard.
    expect(consumedBotsOfShard(6, 0, 3, { consumers: 2, roomSize: 0 })).toEqual([
      [4, 5],
      [0, 5],
      [0, 1],
    ]);
    const plan = consumedBots(6, { consumers: 2, roomSize: 0 });
    expect([
      ...consumedBotsOfShard(6, 0, 3, { consumers: 2, roomSize: 0 }),
      ...consumedBotsOfShard(6, 3, 3, { consumers: 2, roomSize: 0 }),
    ]).toEqual(plan);
  });
});

function sideOf(consumers: number, expected: number, received: number): ConsumerSideResult {
  const report: ReceiverReport = {
    messages: received,
    bytes: received * 10,
    outOfOrder: 0,
    malformed: 0,
    producers: {
      [`consumer-${consumers}-${expected}`]: {
        messages: received,
        bytes: received * 10,
        outOfOrder: 0,
      },
    },
  };
  return {
    recvTransports: { total: 2, opened: 2, failed: 0 },
    dataConsumers: consumers,
    expected,
    lost: expected - received,
    report,
  };
}

describe('mergeConsumerSides()', () => {
  test('mergeConsumerSides() adds up the shards consumers, expected and lost', () => {
    const merged = mergeConsumerSides([sideOf(6, 60, 60), sideOf(4, 40, 38)]);
    expect(merged).toMatchObject({
      recvTransports: { total: 4, opened: 4, failed: 0 },
      dataConsumers: 10,
      expected: 100,
      lost: 2,
    });
    expect(merged?.report.messages).toBe(98);
    expect(Object.keys(merged?.report.producers ?? {})).toHaveLength(2);
    expect(merged?.notExpected).toBeUndefined();
    expect(mergeConsumerSides([])).toBeUndefined();
  });

  test('mergeConsumerSides() adds up what came from a failed shard producers, apart from expected', () => {
    const one = {
      ...sideOf(6, 60, 70),
      lost: 0,
      notExpected: { dataConsumers: 2, messages: 10, bytes: 100 },
    };
    const merged = mergeConsumerSides([one, sideOf(4, 40, 40), { ...one }]);
    expect(merged).toMatchObject({
      expected: 160,
      lost: 0,
      notExpected: { dataConsumers: 4, messages: 20, bytes: 200 },
    });
  });
});

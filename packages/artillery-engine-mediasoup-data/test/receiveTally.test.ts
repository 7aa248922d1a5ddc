// What the bots' DataConsumers receive reaches Artillery as counters about once a second,
// with losses and reorderings of the CLI's numbered messages found per consumer.

import { encodeMessage } from 'mediasoup-data-producer-cli';

import { COUNTERS, HISTOGRAMS, type MetricsEmitter } from '../src/metrics.js';
import { ReceiveTally, type ConsumerCount } from '../src/receiveTally.js';

type Emitted = [event: string, name: string, value: number];

function recorder(): { ee: MetricsEmitter; emitted: Emitted[]; counter: (name: string) => number } {
  const emitted: Emitted[] = [];
  const emit = (event: string, name = '', value = 0): boolean => {
    emitted.push([event, name, value]);
    return true;
  };
  const ee: MetricsEmitter = { emit };
  const counter = (name: string): number =>
    emitted
      .filter(([event, n]) => event === 'counter' && n === name)
      .reduce((sum, [, , value]) => sum + value, 0);
  return { ee, emitted, counter };
}

function consumer(): ConsumerCount {
  return { received: 0, nextSeq: undefined };
}

test('receiveTally.count() of numbered messages with a gap and a late one counts one lost and one out of order', () => {
  const { ee, counter } = recorder();
  const tally = new ReceiveTally(ee);
  const entry = consumer();
  for (const seq of [0, 1, 3, 2, 4]) tally.count(entry, encodeMessage(100, seq));
  tally.flush();

  expect(entry).toEqual({ received: 5, nextSeq: 5 });
  expect({
    received: counter(COUNTERS.messagesReceived),
    bytes: counter(COUNTERS.bytesReceived),
    lost: counter(COUNTERS.messagesLost),
    outOfOrder: counter(COUNTERS.messagesOutOfOrder),
  }).toEqual({ received: 5, bytes: 500, lost: 1, outOfOrder: 1 });
});

test('receiveTally.count() keeps each consumer its own sequence', () => {
  const { ee, counter } = recorder();
  const tally = new ReceiveTally(ee);
  const [a, b] = [consumer(), consumer()];
  for (const seq of [0, 1, 2]) {
    tally.count(a, encodeMessage(16, seq));
    tally.count(b, encodeMessage(16, seq));
  }
  tally.flush();

  expect([a.nextSeq, b.nextSeq]).toEqual([3, 3]);
  expect(counter(COUNTERS.messagesLost) + counter(COUNTERS.messagesOutOfOrder)).toBe(0);
});

test('receiveTally.count() of a numbered message records its end-to-end latency, of text none', () => {
  const { ee, emitted } = recorder();
  const tally = new ReceiveTally(ee);
  const sentAt = performance.timeOrigin + performance.now() - 250;
  tally.count(consumer(), encodeMessage(64, 0, sentAt));
  tally.count(consumer(), 'hello from a bot');

  const latencies = emitted.filter(
    ([event, name]) => event === 'histogram' && name === HISTOGRAMS.latency,
  );
  expect(latencies).toHaveLength(1);
  expect(latencies[0]?.[2]).toBeGreaterThanOrEqual(250);
});

test('receiveTally.count() within a second of the last flush holds its counts until flush()', () => {
  const { ee, counter } = recorder();
  const tally = new ReceiveTally(ee);
  const entry = consumer();
  tally.flush();
  tally.count(entry, 'é');
  tally.count(entry, Buffer.alloc(3));

  expect(counter(COUNTERS.messagesReceived)).toBe(0);
  tally.flush();
  expect({
    received: counter(COUNTERS.messagesReceived),
    bytes: counter(COUNTERS.bytesReceived),
  }).toEqual({
    received: 2,
    bytes: 5,
  });
});

// The stream-id policy (docs/api.md, "Stream ids") through the handler: FakeHandler takes ids
// with the same code as node-datachannel's handler. Time runs on jest's fake clock.
import {
  InvalidStateError,
  OperationError,
  type DataProducer,
  type types,
} from 'mediasoup-data-producer';

import { STREAM_ID_QUARANTINE_MS } from '../../src/handlers/StreamIds.js';
import { once } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  rejectionOf,
  turns,
  type FakeApp,
} from '@test-support/fakeSession.js';

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

useFakeApps();

function sctp(OS: number, MIS: number): types.SctpParameters {
  return { port: 5000, OS, MIS, maxMessageSize: 262144 };
}

/** A transport whose first producer is open on an association that is up. */
async function connectedApp(
  client: Partial<types.TransportOptions> = {},
  handler: types.FakeHandlerOptions = {},
): Promise<{ app: FakeApp; first: DataProducer }> {
  const app = await fakeApp({ client, handler: { ...handler, autoConnect: false } });
  const first = await app.transport.produceData({ label: 'first' });
  app.handler.setConnectionState('connected');
  await turns();
  return { app, first };
}

function streamIdOf(dataProducer: DataProducer): number {
  return dataProducer.sctpStreamParameters.streamId;
}

/** Settles `promise` into a readable state without awaiting it. */
function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => {
      state.value = value;
      state.settled = true;
    },
    (error: unknown) => {
      state.error = error;
      state.settled = true;
    },
  );
  return state;
}

test('transport.produceData() gives stream ids in order, starting at 0, and producedata carries them', async () => {
  const app = await fakeApp();

  const producers: DataProducer[] = [];
  for (let i = 0; i < 4; i++) producers.push(await app.transport.produceData());

  expect(producers.map(streamIdOf)).toEqual([0, 1, 2, 3]);
  expect(app.produced.map((p) => p.parameters.sctpStreamParameters.streamId)).toEqual([0, 1, 2, 3]);
  expect(app.handler.dataChannels.map((c) => c.streamId)).toEqual([0, 1, 2, 3]);
});

test('transport.produceData() after a producer closed takes the next stream id, not the freed one', async () => {
  const { app, first } = await connectedApp();
  const second = await app.transport.produceData();

  first.close();
  jest.advanceTimersByTime(STREAM_ID_QUARANTINE_MS);
  const third = await app.transport.produceData();

  expect([first, second, third].map(streamIdOf)).toEqual([0, 1, 2]);
});

test('transport.produceData() when the only free stream id rests after a close waits until its rest is over, then takes it', async () => {
  const { app, first } = await connectedApp({ sctpParameters: sctp(2, 2) });
  await app.transport.produceData();
  first.close();

  const next = track(app.transport.produceData({ label: 'after the rest' }));
  await jest.advanceTimersByTimeAsync(STREAM_ID_QUARANTINE_MS - 1);
  const settledBefore = next.settled;
  await jest.advanceTimersByTimeAsync(1);
  await turns();

  expect(settledBefore).toBe(false);
  expect(next.error).toBeUndefined();
  expect(next.value && streamIdOf(next.value)).toBe(0);
});

test('transport.produceData() waiting for a resting stream id rejects with InvalidStateError when the transport closes meanwhile', async () => {
  const { app, first } = await connectedApp({ sctpParameters: sctp(2, 2) });
  await app.transport.produceData();
  first.close();

  const waiting = rejectionOf(app.transport.produceData());
  await turns();
  app.transport.close();
  await jest.advanceTimersByTimeAsync(STREAM_ID_QUARANTINE_MS);

  expect(await waiting).toEqual(new InvalidStateError('transport is closed'));
  expect(app.produced).toHaveLength(2);
});

test('transport.produceData() never hands out again a stream id closed before the SCTP association first came up', async () => {
  const app = await fakeApp({
    client: { sctpParameters: sctp(3, 3) },
    handler: { autoConnect: false },
  });
  const zero = await app.transport.produceData();
  const one = await app.transport.produceData();
  one.close();
  app.handler.setConnectionState('connected');
  await turns();
  const two = await app.transport.produceData();
  two.close();
  jest.advanceTimersByTime(STREAM_ID_QUARANTINE_MS * 10);

  const again = await app.transport.produceData();
  const full = await rejectionOf(app.transport.produceData());

  expect([zero, one, two, again].map(streamIdOf)).toEqual([0, 1, 2, 2]);
  expect(full).toEqual(
    new OperationError(
      'no free SCTP stream id: all 3 streams of this transport are in use (close a DataProducer to free one)',
    ),
  );
});

test('transport.produceData() whose connect errback refused the first call never hands its stream id out again; the next call takes the next one', async () => {
  const app = await fakeApp({ answer: false });
  const refusal = new Error('cannot connect now');
  app.transport.once('connect', (_parameters, _callback, errback) => {
    errback(refusal);
  });
  app.transport.on('producedata', (_parameters, callback) => {
    callback({ id: 'accepted' });
  });

  expect(await rejectionOf(app.transport.produceData())).toBe(refusal);
  app.transport.on('connect', (_parameters, callback) => {
    callback();
  });
  const next = await app.transport.produceData();

  expect(streamIdOf(next)).toBe(1);
  // Stream 0's channel existed before the association: it is closed, and its id is gone.
  expect(app.handler.dataChannels.map((c) => [c.streamId, c.closedLocally])).toEqual([
    [0, true],
    [1, false],
  ]);
});

test.each([
  { OS: 8, MIS: 8 },
  { OS: 1024, MIS: 8 },
  { OS: 8, MIS: 1024 },
])(
  'transport.produceData() beyond the streams the router accepts (%o) rejects with OperationError naming the limit',
  async ({ OS, MIS }) => {
    const app = await fakeApp({ client: { sctpParameters: sctp(OS, MIS) } });
    const producers: DataProducer[] = [];
    for (let i = 0; i < 8; i++) producers.push(await app.transport.produceData());

    const ninth = await rejectionOf(app.transport.produceData());

    expect(ninth).toBeInstanceOf(OperationError);
    expect((ninth as Error).message).toMatch(/^no free SCTP stream id: all 8 streams\b/);
    expect(producers.map(streamIdOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(app.produced).toHaveLength(8);
  },
);

test('transport.produceData() beyond the streams the native stack accepts rejects with OperationError naming that limit', async () => {
  const app = await fakeApp({ handler: { maxStreams: 4 } });
  for (let i = 0; i < 4; i++) await app.transport.produceData();

  const fifth = await rejectionOf(app.transport.produceData());

  expect(fifth).toBeInstanceOf(OperationError);
  expect((fifth as Error).message).toMatch(/all 4 streams/);
});

test('transport.produceData() on a full transport works again once a producer closed and its stream id rested', async () => {
  const { app, first } = await connectedApp({ sctpParameters: sctp(4, 4) });
  const producers = [first];
  for (let i = 0; i < 3; i++) producers.push(await app.transport.produceData());
  expect(await rejectionOf(app.transport.produceData())).toBeInstanceOf(OperationError);

  producers[2]?.close();
  const again = track(app.transport.produceData());
  await jest.advanceTimersByTimeAsync(STREAM_ID_QUARANTINE_MS);
  await turns();

  expect(again.value && streamIdOf(again.value)).toBe(2);
});

test('transport.produceData() called 50 times at once gives each producer its own stream id, in call order', async () => {
  const app = await fakeApp();

  const producers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => app.transport.produceData({ label: `p${i}` })),
  );

  expect(producers.map(streamIdOf)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(producers.map((p) => p.label)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
  expect(new Set(producers.map((p) => p.id)).size).toBe(50);
});

test('transport.produceData() 1,100 create/close cycles go round all 1,024 stream ids and wrap to reuse them', async () => {
  const { app, first } = await connectedApp();
  first.close();
  const streamIds: number[] = [];

  for (let i = 0; i < 1100; i++) {
    // A millisecond per cycle: stream 0 has rested long enough when the ids come round.
    jest.advanceTimersByTime(1);
    const dataProducer = await app.transport.produceData();
    streamIds.push(streamIdOf(dataProducer));
    dataProducer.close();
  }

  expect(streamIds).toEqual(Array.from({ length: 1100 }, (_, i) => (i + 1) % 1024));
});

test.each([
  [
    'close()',
    (p: DataProducer): void => {
      p.close();
    },
  ],
  [
    'a remote stream reset',
    (p: DataProducer, app: FakeApp): void => {
      channelOf(app.transport, p).simulateClose();
    },
  ],
])(
  'transport.produceData() after a producer ended by %s gives its stream id back only after its rest',
  async (_how, end) => {
    const { app, first } = await connectedApp({ sctpParameters: sctp(1, 1) });
    const ended = once(first.observer, 'close');

    end(first, app);
    await ended;
    const next = track(app.transport.produceData());
    await jest.advanceTimersByTimeAsync(STREAM_ID_QUARANTINE_MS - 1);
    const settledEarly = next.settled;
    await jest.advanceTimersByTimeAsync(1);
    await turns();

    expect(settledEarly).toBe(false);
    expect(next.value && streamIdOf(next.value)).toBe(0);
  },
);

import { OperationError, type DataProducer, type Transport } from 'mediasoup-data-producer';

import { STREAM_ID_QUARANTINE_MS } from '../../src/handlers/StreamIds.js';
import {
  createTransport,
  once,
  routerVersionAtLeast,
  signalThroughLocalRouter,
  startSession,
  type Session,
  sleep,
} from '@test-support/session.js';

let session: Session;
let transport: Transport;

// A fresh router per test: some tests wait for N messages on the whole router
// (waitForMessages(8), (50)), which an earlier test's messages would satisfy.
beforeEach(async () => {
  session = await startSession();
  transport = await createTransport(session);
});

afterEach(async () => {
  await session.close();
});

/** Resolves once the producer is open; rejects at once if it closes or errors first. */
function whenOpen(dataProducer: DataProducer, timeoutMs = 5000): Promise<DataProducer> {
  if (dataProducer.readyState === 'open') return Promise.resolve(dataProducer);
  const where = `stream ${streamIdOf(dataProducer)}`;
  if (dataProducer.closed) return Promise.reject(new Error(`${where} closed before open`));
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      dataProducer.off('open', onOpen);
      dataProducer.off('close', onClose);
      dataProducer.off('error', onError);
      if (error) reject(error);
      else resolve(dataProducer);
    };
    const onOpen = (): void => {
      settle();
    };
    const onClose = (): void => {
      settle(new Error(`${where} closed before open`));
    };
    const onError = (error: Error): void => {
      settle(new Error(`${where} failed before open: ${error.message}`));
    };
    const timer = setTimeout(() => {
      settle(new Error(`${where}: no 'open' event within ${timeoutMs} ms`));
    }, timeoutMs);
    dataProducer.on('open', onOpen);
    dataProducer.on('close', onClose);
    dataProducer.on('error', onError);
  });
}

function streamIdOf(dataProducer: DataProducer): number {
  return dataProducer.sctpStreamParameters.streamId;
}

test("transport.produceData() after a producer closed takes the next stream id, not the freed one, so an app that has not closed the router's DataProducer yet is not refused", async () => {
  // This app closes the router's DataProducers late, or never.
  const lazy = session.device.createSendTransport(await session.router.createWebRtcTransport());
  signalThroughLocalRouter(session, lazy, { closeRouterProducers: false });
  const a = await whenOpen(await lazy.produceData({ label: 'a' }));
  const b = await whenOpen(await lazy.produceData({ label: 'b' }));
  a.send('a');
  await session.router.waitForMessages(1, { dataProducerId: a.id });

  a.close();
  // Past the rest of a freed id: the lowest-free policy handed stream 0 out again here.
  await sleep(STREAM_ID_QUARANTINE_MS + 50);
  const c = await whenOpen(await lazy.produceData({ label: 'c' }));
  c.send('c');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: c.id });

  expect([a, b, c].map(streamIdOf)).toEqual([0, 1, 2]);
  expect(message?.data.toString()).toBe('c');
  expect(session.router.hasDataProducer(a.id)).toBe(true);
  expect(b.readyState).toBe('open');
});

test('transport.produceData() after the router closed a producer takes the next stream id, and messages arrive on it', async () => {
  const a = await whenOpen(await transport.produceData());
  const b = await whenOpen(await transport.produceData());

  session.router.closeDataProducer(a.id);
  await once(a, 'close');
  await sleep(STREAM_ID_QUARANTINE_MS + 50);
  const c = await whenOpen(await transport.produceData());

  expect(streamIdOf(c)).toBe(2);
  c.send('after a remote close');
  b.send('untouched');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: c.id });
  expect(message?.data.toString()).toBe('after a remote close');
  await session.router.waitForMessages(1, { dataProducerId: b.id });
});

test('transport.produceData() 1,100 create/close cycles on one transport go round all 1,024 stream ids, wrap to reuse them, and messages keep arriving', async () => {
  const cycles = 1100;
  const streamIds: number[] = [];
  let last: DataProducer | undefined;
  for (let i = 0; i < cycles; i++) {
    let dataProducer: DataProducer;
    try {
      dataProducer = await whenOpen(await transport.produceData({ label: `cycle ${i}` }), 2000);
    } catch (error) {
      throw new Error(`cycle ${i} failed: ${String(error)}`);
    }
    streamIds.push(streamIdOf(dataProducer));
    dataProducer.send(`cycle ${i}`);
    // Every 100th cycle (and the last) waits for its message before closing the stream.
    if (i % 100 === 0 || i === cycles - 1) {
      const [message] = await session.router.waitForMessages(1, {
        dataProducerId: dataProducer.id,
        timeoutMs: 5000,
      });
      expect(message?.data.toString()).toBe(`cycle ${i}`);
    }
    last = dataProducer;
    if (i < cycles - 1) dataProducer.close();
  }

  expect(last?.readyState).toBe('open');
  // Round-robin: every id once, then from 0 again (each closed long enough ago to be reused).
  expect(streamIds).toEqual(Array.from({ length: cycles }, (_, i) => i % 1024));
}, 60000);

/**
 * A transport whose sctpParameters offer `numSctpStreams`. mediasoup up to 3.19 takes the
 * numbers and enforces them; from 3.20 it always offers 65535 streams, so the limit is put
 * into the sctpParameters the client gets, as an app's server would pass a smaller one on.
 */
async function transportWithStreams(numSctpStreams: {
  OS: number;
  MIS: number;
}): Promise<Transport> {
  if (!routerVersionAtLeast('3.20.0'))
    return createTransport(session, { router: { numSctpStreams } });
  const params = await session.router.createWebRtcTransport();
  if (!params.sctpParameters) throw new Error('the router gave no sctpParameters');
  const limited = session.device.createSendTransport({
    ...params,
    sctpParameters: { ...params.sctpParameters, ...numSctpStreams },
  });
  signalThroughLocalRouter(session, limited);
  return limited;
}

// A data channel uses its stream id in both directions (RFC 8831), so the router's OS
// limits the ids as much as its MIS does.
test.each([
  { OS: 8, MIS: 8 },
  { OS: 1024, MIS: 8 },
  { OS: 8, MIS: 1024 },
])(
  'transport.produceData() beyond the streams the router accepts (%o) rejects with OperationError naming the limit',
  async (numSctpStreams) => {
    const small = await transportWithStreams(numSctpStreams);
    const producers: DataProducer[] = [];
    for (let i = 0; i < 8; i++) producers.push(await small.produceData());

    const ninth = small.produceData();

    await expect(ninth).rejects.toThrow(OperationError);
    await expect(ninth).rejects.toThrow(/\b8 streams\b/);
    expect(producers.map(streamIdOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // All 8 are real streams the router takes messages on.
    await Promise.all(producers.map((p) => whenOpen(p)));
    producers.forEach((p, i) => {
      p.send(`stream ${i}`);
    });
    await session.router.waitForMessages(8);
    expect(producers.map((p) => session.router.messagesOf(p.id).length)).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1,
    ]);
  },
);

test('transport.produceData() on a full transport works again once a producer closed', async () => {
  const small = await transportWithStreams({ OS: 8, MIS: 8 });
  const producers: DataProducer[] = [];
  for (let i = 0; i < 8; i++) producers.push(await whenOpen(await small.produceData()));
  await expect(small.produceData()).rejects.toThrow(OperationError);

  producers[5]?.close();
  const again = await whenOpen(await small.produceData());

  expect(streamIdOf(again)).toBe(5);
  again.send('fits again');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: again.id });
  expect(message?.data.toString()).toBe('fits again');
});

test('transport.produceData() called 50 times concurrently gives each producer its own stream id and each delivers a message', async () => {
  const producers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => transport.produceData({ label: `p${i}` })),
  );

  const ids = producers.map(streamIdOf);
  expect(new Set(ids).size).toBe(50);
  expect([...ids].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(new Set(producers.map((p) => p.id)).size).toBe(50);
  for (const p of producers) p.send(p.label);
  await session.router.waitForMessages(50);
  expect(
    producers.map((p) => session.router.messagesOf(p.id).map((m) => m.data.toString())),
  ).toEqual(producers.map((p) => [p.label]));
});

test.each([
  ['ordered: false', { ordered: false }, { ordered: false }],
  ['maxRetransmits: 0', { maxRetransmits: 0 }, { ordered: false, maxRetransmits: 0 }],
  [
    'maxPacketLifeTime: 100',
    { maxPacketLifeTime: 100 },
    { ordered: false, maxPacketLifeTime: 100 },
  ],
])(
  'transport.produceData() with %s reports its sctpStreamParameters and delivers messages on loopback',
  async (_name, options, expected) => {
    const sent: unknown[] = [];
    transport.on('producedata', ({ sctpStreamParameters }) => {
      sent.push(sctpStreamParameters);
    });

    const dataProducer = await whenOpen(await transport.produceData(options));
    for (let i = 0; i < 20; i++) dataProducer.send(`u${i}`);

    expect(dataProducer.sctpStreamParameters).toEqual({ streamId: 0, ...expected });
    expect(sent).toEqual([{ streamId: 0, ...expected }]);
    const messages = await session.router.waitForMessages(20, {
      dataProducerId: dataProducer.id,
    });
    expect(messages.map((m) => m.data.toString()).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `u${i}`).sort(),
    );
  },
);

// closeGracefully() against a real router: a burst sent and closed at once all arrives, where
// closing the transport as soon as bufferedAmount is 0 loses what SCTP still holds.
import type { DataConsumer, DataProducer, Transport } from 'mediasoup-data-producer';

import { createRecvTransport, consumeFromRouter } from '@test-support/routerSide.js';
import { numbered, sequenceOf } from '@test-support/messages.js';
import {
  once,
  openProducer,
  routerVersionAtLeast,
  signalThroughLocalRouter,
  sleep,
  useSessionPerFile,
  waitUntil,
  type Session,
} from '@test-support/session.js';

jest.setTimeout(240000);

let session!: Session;
useSessionPerFile((started) => (session = started));

// mediasoup 3.8 (usrsctp) answers our stream reset with its own (RFC 8831 6.7), which
// confirms; mediasoup >= 3.20 (its own SCTP stack) answers only on streams it sends on, so
// closeGracefully() waits there for its timeout.
const routerAnswersResets = !routerVersionAtLeast('3.20.0');
// Long enough for a burst to arrive on a loaded machine; on routers that do not answer, every
// round waits for it.
const TIMEOUT_MS = routerAnswersResets ? 10000 : 1500;

function sendNumbered(dataProducer: DataProducer, count: number, size: number): void {
  for (let seq = 0; seq < count; seq++) dataProducer.send(numbered(seq, size));
}

/**
 * A send transport whose signaling leaves the router's DataProducers open when ours close: each
 * test closes them once it has counted. Closing them at once is what an app does, but what is
 * counted downstream then races with that close (mediasoup 3.8's Node side drops a
 * DirectTransport consumer's messages still in its payload channel when the consumer closes;
 * node-datachannel drops a channel's messages not yet handed to JS when the channel closes).
 */
async function transportKeepingRouterProducers(): Promise<Transport> {
  const transport = session.device.createSendTransport(
    await session.router.createWebRtcTransport(),
  );
  signalThroughLocalRouter(session, transport, { closeRouterProducers: false });
  return transport;
}

test('transport.closeGracefully() right after a burst: the router has every message, 20 rounds in a row', async () => {
  const count = 500;
  const outcomes: { arrived: number; confirmed: boolean }[] = [];
  for (let round = 0; round < 20; round++) {
    const transport = await transportKeepingRouterProducers();
    const dataProducer = await openProducer(transport);
    sendNumbered(dataProducer, count, 200);
    const confirmed = await transport.closeGracefully({ timeout: TIMEOUT_MS });
    expect(transport.closed).toBe(true);
    // The router's worker has them all; its DirectTransport hands them to Node a little later.
    await session.router
      .waitForMessages(count, { dataProducerId: dataProducer.id, timeoutMs: 5000 })
      .catch(() => undefined);
    outcomes.push({ arrived: session.router.messagesOf(dataProducer.id).length, confirmed });
    session.router.closeDataProducer(dataProducer.id);
  }
  expect(outcomes).toEqual(
    Array.from({ length: 20 }, () => ({ arrived: count, confirmed: routerAnswersResets })),
  );
});

test('dataProducer.closeGracefully() of a 1 MB burst resolves only after bufferedAmount is 0, with every message at the router, and leaves the transport open', async () => {
  const transport = await transportKeepingRouterProducers();
  for (let round = 0; round < 5; round++) {
    const dataProducer = await openProducer(transport);
    sendNumbered(dataProducer, 1000, 1000);
    let settled = false;
    const closing = dataProducer.closeGracefully({ timeout: TIMEOUT_MS }).then((confirmed) => {
      settled = true;
      return confirmed;
    });
    expect(dataProducer.readyState).toBe('closing');
    // SCTP takes the megabyte at once: bufferedAmount is 0 long before the router has it.
    await waitUntil(() => dataProducer.bufferedAmount === 0, 10000, 'bufferedAmount 0', 1);
    const pendingAtZero = !settled;
    const confirmed = await closing;
    const atResolve = session.router.messagesOf(dataProducer.id).length;
    const messages = await session.router.waitForMessages(1000, {
      dataProducerId: dataProducer.id,
      timeoutMs: 5000,
    });

    expect({ pendingAtZero, confirmed, closed: dataProducer.closed }).toEqual({
      pendingAtZero: true,
      confirmed: routerAnswersResets,
      closed: true,
    });
    expect(messages.map((m) => sequenceOf(m.data))).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
    // Nothing arrives after the router has all.
    expect(atResolve).toBeLessThanOrEqual(1000);
    session.router.closeDataProducer(dataProducer.id);
  }
  expect(transport.connectionState).toBe('connected');
});

test('transport.close() as soon as bufferedAmount is 0 loses messages still in flight (what closeGracefully() prevents)', async () => {
  const losses: number[] = [];
  for (let round = 0; round < 5; round++) {
    const transport = await transportKeepingRouterProducers();
    const dataProducer = await openProducer(transport);
    sendNumbered(dataProducer, 1000, 1000);
    await waitUntil(() => dataProducer.bufferedAmount === 0, 10000, 'bufferedAmount 0', 1);
    transport.close();
    await sleep(1500);
    losses.push(1000 - session.router.messagesOf(dataProducer.id).length);
  }
  // libdatachannel aborts the association when its peer connection is closed: what usrsctp
  // still held (up to its 1 MiB send buffer) never reaches the router.
  expect(losses.some((lost) => lost > 0)).toBe(true);
});

test('client → router → client: sender.closeGracefully() right after a burst, every message reaches the consumer, 10 rounds in a row', async () => {
  const count = 500;
  const outcomes: number[] = [];
  const recvTransport = await createRecvTransport(session);
  for (let round = 0; round < 10; round++) {
    const sendTransport = await transportKeepingRouterProducers();
    const dataProducer = await openProducer(sendTransport);
    const { dataConsumer } = await consumeFromRouter(session, recvTransport, dataProducer.id);
    const received = collect(dataConsumer);
    if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open');
    sendNumbered(dataProducer, count, 100);
    await sendTransport.closeGracefully({ timeout: TIMEOUT_MS });
    await waitUntil(() => received.length >= count, 5000, 'all received').catch(() => undefined);
    outcomes.push(received.length);
    session.router.closeDataProducer(dataProducer.id);
  }
  expect(outcomes).toEqual(Array.from({ length: 10 }, () => count));
});

function collect(dataConsumer: DataConsumer): number[] {
  const seqs: number[] = [];
  dataConsumer.binaryType = 'arraybuffer';
  dataConsumer.on('message', (data) => {
    if (data instanceof ArrayBuffer) seqs.push(sequenceOf(Buffer.from(data)));
  });
  return seqs;
}

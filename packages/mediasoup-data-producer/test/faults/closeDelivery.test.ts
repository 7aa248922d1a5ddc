// What happens to messages accepted by send() when the producer is closed right after: a bot
// that sends its last messages and closes must not lose them silently.
import type { DataProducer, Transport } from 'mediasoup-data-producer';

import {
  createTransport,
  useSessionPerFile,
  type Session,
  openProducer,
  waitUntil,
  signalThroughLocalRouter,
} from '@test-support/session.js';

jest.setTimeout(60000);

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

/** A transport whose signaling does NOT close the router's DataProducer when ours closes. */
async function transportKeepingRouterProducers(): Promise<Transport> {
  const { router, device } = session;
  const transport = device.createSendTransport(await router.createWebRtcTransport());
  signalThroughLocalRouter(session, transport, { closeRouterProducers: false });
  return transport;
}

function sendBurst(dataProducer: DataProducer, count: number): number {
  for (let i = 0; i < count; i++) dataProducer.send(Buffer.alloc(1000, i % 256));
  return dataProducer.bufferedAmount;
}

/**
 * Sends 64 KiB messages until `bufferedAmount` passes `backlog` bytes; returns how many.
 * bufferedAmount counts libdatachannel's queue only. usrsctp's buffer in front of it takes
 * several MB, and the router drains it while this loop runs: 1000-byte messages, sent at the
 * cost of one native call each, were drained about as fast as they were sent on a quiet
 * machine (15 MB sent, 0.7 MB left queued). Large messages are queued far faster than any
 * drain, so the backlog builds in a few dozen calls.
 */
function sendUntilBacklog(dataProducer: DataProducer, backlog: number): number {
  const size = 64 * 1024;
  let count = 0;
  // 64 MB at most; the loop ends long before, as bufferedAmount passes `backlog`, far below
  // maxBufferedAmount (16 MiB), past which send() throws.
  while (dataProducer.bufferedAmount <= backlog && count < 1000) {
    dataProducer.send(Buffer.alloc(size, count % 256));
    count++;
  }
  return count;
}

test('close() right after send(): every accepted message still arrives, a multi-MiB backlog included, when the router closes its DataProducer after the stream reset', async () => {
  const transport = await transportKeepingRouterProducers();
  for (const burst of ['small', 'backlog'] as const) {
    const dataProducer = await openProducer(transport);
    const count = burst === 'small' ? 10 : sendUntilBacklog(dataProducer, 2 * 1024 * 1024);
    const backlog =
      burst === 'small' ? sendBurst(dataProducer, count) : dataProducer.bufferedAmount;
    dataProducer.close();
    expect(dataProducer.bufferedAmount).toBe(0);

    const messages = await session.router.waitForMessages(count, {
      dataProducerId: dataProducer.id,
      timeoutMs: 30000,
    });
    expect(messages).toHaveLength(count);
    if (burst === 'backlog') expect(backlog).toBeGreaterThan(2 * 1024 * 1024);
    session.router.closeDataProducer(dataProducer.id);
  }
});

test('dataProducer.close() right after a burst, with the router side closed a second later as docs/api.md does, delivers every message', async () => {
  const transport = await transportKeepingRouterProducers();
  const routerClosed: string[] = [];
  // The wiring of docs/api.md's quick example.
  transport.observer.on('newdataproducer', (produced: DataProducer) => {
    produced.observer.on('close', () => {
      setTimeout(() => {
        session.router.closeDataProducer(produced.id);
        routerClosed.push(produced.id);
      }, 1000);
    });
  });
  const dataProducer = await openProducer(transport);
  const events: string[] = [];
  dataProducer.on('error', () => events.push('error'));
  dataProducer.on('close', () => events.push('close'));
  sendBurst(dataProducer, 2000);
  dataProducer.close();
  await waitUntil(() => routerClosed.length === 1, 5000, 'router side closed');

  expect({ arrived: session.router.messagesOf(dataProducer.id).length, events }).toEqual({
    arrived: 2000,
    events: [],
  });
});

test('a DataProducer closed by the router (stream reset) mid-burst emits close, and send() then throws InvalidStateError', async () => {
  const transport = await createTransport(session);
  const dataProducer = await openProducer(transport);
  const events: string[] = [];
  dataProducer.on('close', () => events.push('close'));
  dataProducer.on('error', () => events.push('error'));
  sendBurst(dataProducer, 500);
  session.router.closeDataProducer(dataProducer.id);
  await waitUntil(() => dataProducer.closed, 10000, 'closed by the router');

  expect(events).toEqual(['close']);
  expect(() => {
    dataProducer.send('late');
  }).toThrow(expect.objectContaining({ name: 'InvalidStateError' }) as Error);
  expect(transport.connectionState).toBe('connected');
});

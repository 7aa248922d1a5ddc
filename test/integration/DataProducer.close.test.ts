import { InvalidStateError, type DataProducer, type Transport } from 'mediasoup-data-producer';

import { createTransport, once, startSession, type Session, sleep } from '../support/session.js';

let session: Session;
let transport: Transport;

beforeEach(async () => {
  session = await startSession();
  transport = await createTransport(session);
});

afterEach(async () => {
  await session.close();
});

async function openProducer(): Promise<DataProducer> {
  const dataProducer = await transport.produceData();
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
  return dataProducer;
}

/** Every event the producer and its observer emit, in order. */
function recordEvents(dataProducer: DataProducer): string[] {
  const log: string[] = [];
  for (const event of ['open', 'close', 'transportclose', 'error', 'bufferedamountlow'] as const) {
    dataProducer.on(event, () => log.push(event));
  }
  dataProducer.observer.on('close', () => log.push('observer close'));
  return log;
}

test('dataProducer.close() emits observer close once, no close event, and sets readyState closed', async () => {
  const dataProducer = await openProducer();
  const log = recordEvents(dataProducer);

  dataProducer.close();

  expect(log).toEqual(['observer close']);
  expect(dataProducer.closed).toBe(true);
  expect(dataProducer.readyState).toBe('closed');
  expect(dataProducer.bufferedAmount).toBe(0);
  await sleep(300);
  expect(log).toEqual(['observer close']);
});

test('dataProducer.close() then send() throws InvalidStateError', async () => {
  const dataProducer = await openProducer();

  dataProducer.close();

  expect(() => {
    dataProducer.send('late');
  }).toThrow(InvalidStateError);
});

test('dataProducer.close() twice is harmless and emits observer close once', async () => {
  const dataProducer = await openProducer();
  const log = recordEvents(dataProducer);

  dataProducer.close();
  expect(() => {
    dataProducer.close();
  }).not.toThrow();

  expect(log).toEqual(['observer close']);
  expect(dataProducer.readyState).toBe('closed');
});

test('dataProducer.close() before open emits no open event and drops what was queued', async () => {
  // Created first so that it does not reuse the closed producer's stream id.
  const other = await openProducer();
  const dataProducer = await transport.produceData();
  expect(dataProducer.readyState).toBe('connecting');
  const log = recordEvents(dataProducer);
  dataProducer.send('queued');

  dataProducer.close();
  other.send('marker');
  await session.router.waitForMessages(1, { dataProducerId: other.id });
  await sleep(200);

  expect(log).toEqual(['observer close']);
  expect(dataProducer.bufferedAmount).toBe(0);
  expect(session.router.messagesOf(dataProducer.id)).toEqual([]);
});

test('dataProducer.close() then transport.close() and router-side close emit nothing more', async () => {
  const dataProducer = await openProducer();
  const log = recordEvents(dataProducer);

  dataProducer.close();
  transport.close();
  await sleep(300);

  expect(log).toEqual(['observer close']);
});

test('router.closeDataProducer() emits close then observer close, each once', async () => {
  const dataProducer = await openProducer();
  const log = recordEvents(dataProducer);

  session.router.closeDataProducer(dataProducer.id);
  await once(dataProducer.observer, 'close');
  await sleep(300);

  expect(log).toEqual(['close', 'observer close']);
  expect(dataProducer.closed).toBe(true);
  expect(dataProducer.readyState).toBe('closed');
  expect(() => {
    dataProducer.send('late');
  }).toThrow(InvalidStateError);
});

test('router.closeDataProducer() then send() before the close event throws InvalidStateError', async () => {
  const dataProducer = await openProducer();
  dataProducer.send('first');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  session.router.closeDataProducer(dataProducer.id);
  // Synchronously, so that the close event cannot have been delivered yet.
  const deadline = performance.now() + 2000;
  let thrown: unknown;
  while (thrown === undefined && performance.now() < deadline) {
    try {
      dataProducer.send('racing the reset');
    } catch (error) {
      thrown = error;
    }
  }

  expect(thrown).toBeInstanceOf(InvalidStateError);
  await once(dataProducer, 'close');
});

test('router.closeDataProducer() leaves the other producers of the transport open', async () => {
  const closing = await openProducer();
  const staying = await openProducer();
  const stayingLog = recordEvents(staying);

  session.router.closeDataProducer(closing.id);
  await once(closing, 'close');
  staying.send('still here');

  const [message] = await session.router.waitForMessages(1, { dataProducerId: staying.id });
  expect(message?.data.toString()).toBe('still here');
  expect(staying.readyState).toBe('open');
  expect(stayingLog).toEqual([]);
});

test('router.closeDataProducer() then close() and transport.close() emit nothing more', async () => {
  const dataProducer = await openProducer();
  const log = recordEvents(dataProducer);

  session.router.closeDataProducer(dataProducer.id);
  await once(dataProducer, 'close');
  dataProducer.close();
  transport.close();
  await sleep(300);

  expect(log).toEqual(['close', 'observer close']);
});

test('transport.close() emits transportclose then observer close on every producer, and no close event', async () => {
  const producers = [await openProducer(), await openProducer()];
  producers.push(await transport.produceData()); // not open yet
  const logs = producers.map((p) => recordEvents(p));

  transport.close();

  expect(logs).toEqual([
    ['transportclose', 'observer close'],
    ['transportclose', 'observer close'],
    ['transportclose', 'observer close'],
  ]);
  expect(producers.map((p) => [p.closed, p.readyState])).toEqual([
    [true, 'closed'],
    [true, 'closed'],
    [true, 'closed'],
  ]);
  await sleep(300);
  expect(logs.flat()).toEqual([
    'transportclose',
    'observer close',
    'transportclose',
    'observer close',
    'transportclose',
    'observer close',
  ]);
});

test('transport.close() then dataProducer.close() and send() throw nothing but InvalidStateError and emit nothing more', async () => {
  const dataProducer = await openProducer();
  const log = recordEvents(dataProducer);

  transport.close();
  dataProducer.close();

  expect(() => {
    dataProducer.send('late');
  }).toThrow(InvalidStateError);
  await sleep(300);
  expect(log).toEqual(['transportclose', 'observer close']);
});

test('transport.close() skips producers already closed', async () => {
  const closed = await openProducer();
  const open = await openProducer();
  const closedLog = recordEvents(closed);
  const openLog = recordEvents(open);

  closed.close();
  transport.close();

  expect(closedLog).toEqual(['observer close']);
  expect(openLog).toEqual(['transportclose', 'observer close']);
});

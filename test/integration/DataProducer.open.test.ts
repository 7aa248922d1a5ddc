import { type DataProducer, type Transport } from 'mediasoup-data-producer';

import { createTransport, once, startSession, type Session, sleep } from '../support/session.js';

let session: Session;
let transport: Transport;

beforeEach(async () => {
  session = await startSession();
  transport = await createTransport(session);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await session.close();
});

async function whenOpen(dataProducer: DataProducer): Promise<void> {
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
}

/** Makes the router answer `producedata` late, so that the SCTP stream is open before it does. */
function delayProduceData(ms: number): void {
  const router = session.router;
  const produceData = router.produceData.bind(router);
  jest.spyOn(router, 'produceData').mockImplementation(async (...args) => {
    await sleep(ms);
    return produceData(...args);
  });
}

/** Counts `open` events from the moment produceData() is about to resolve. */
function countOpens(log: string[]): Map<DataProducer, number> {
  const opens = new Map<DataProducer, number>();
  transport.observer.on('newdataproducer', (dataProducer: DataProducer) => {
    opens.set(dataProducer, 0);
    dataProducer.on('open', () => {
      opens.set(dataProducer, (opens.get(dataProducer) ?? 0) + 1);
      log.push(`open ${dataProducer.sctpStreamParameters.streamId}`);
    });
  });
  return opens;
}

test('transport.produceData() on a new transport emits open exactly once, after produceData() resolved', async () => {
  const log: string[] = [];
  const opens = countOpens(log);

  const dataProducer = await transport.produceData();
  log.push('resolved');
  await once(dataProducer, 'open');
  await sleep(200);

  expect(log).toEqual(['resolved', 'open 0']);
  expect(opens.get(dataProducer)).toBe(1);
  expect(dataProducer.readyState).toBe('open');
});

test('transport.produceData() answered after the SCTP stream opened emits open once, after produceData() resolved', async () => {
  const log: string[] = [];
  const opens = countOpens(log);
  delayProduceData(400);

  const dataProducer = await transport.produceData();
  log.push('resolved');
  expect(dataProducer.readyState).toBe('connecting');
  await once(dataProducer, 'open');
  await sleep(200);

  expect(log).toEqual(['resolved', 'open 0']);
  expect(opens.get(dataProducer)).toBe(1);
});

test('transport.produceData() on a transport whose SCTP association is open emits open to a listener attached right after await', async () => {
  const first = await transport.produceData();
  await once(first, 'open');

  const second = await transport.produceData();
  const opened = once(second, 'open');

  await opened;
  expect(second.readyState).toBe('open');
});

test('transport.produceData() on an open association answered late emits open to a listener attached right after await', async () => {
  const first = await transport.produceData();
  await once(first, 'open');
  delayProduceData(300);

  const second = await transport.produceData();
  expect(second.readyState).toBe('connecting');
  const opened = once(second, 'open');

  await opened;
  expect(second.readyState).toBe('open');
});

test('transport.produceData() several producers each emit open exactly once', async () => {
  const log: string[] = [];
  const opens = countOpens(log);

  const producers: DataProducer[] = [];
  for (let i = 0; i < 3; i++) producers.push(await transport.produceData());
  await Promise.all(producers.map(whenOpen));
  producers.push(await transport.produceData());
  await once(producers[3] as DataProducer, 'open');
  await sleep(200);

  expect(producers.map((p) => opens.get(p))).toEqual([1, 1, 1, 1]);
  expect([...log].sort()).toEqual(['open 0', 'open 1', 'open 2', 'open 3']);
});

test('dataProducer.send() before open queues in order, counts in bufferedAmount and flushes on open', async () => {
  const dataProducer = await transport.produceData();
  expect(dataProducer.readyState).toBe('connecting');

  dataProducer.send('one');
  dataProducer.send(Buffer.from([2, 2]));
  dataProducer.send(new Blob(['three']));
  dataProducer.send('');
  dataProducer.send('five');
  expect(dataProducer.bufferedAmount).toBe(3 + 2 + 5 + 0 + 4);

  await once(dataProducer, 'open');
  const messages = await session.router.waitForMessages(5, { dataProducerId: dataProducer.id });

  expect(messages.map((m) => m.ppid)).toEqual([51, 53, 53, 56, 51]);
  expect(messages.map((m) => m.data.toString('latin1'))).toEqual([
    'one',
    '\u0002\u0002',
    'three',
    expect.any(String),
    'five',
  ]);
});

test('dataProducer.send() before open on an already open association queues and flushes in order', async () => {
  const first = await transport.produceData();
  await once(first, 'open');

  const second = await transport.produceData();
  expect(second.readyState).toBe('connecting');
  for (let i = 0; i < 100; i++) second.send(`m${i}`);
  expect(second.bufferedAmount).toBeGreaterThan(0);
  second.on('open', () => {
    second.send('after open');
  });

  await once(second, 'open');
  const messages = await session.router.waitForMessages(101, { dataProducerId: second.id });

  expect(messages.map((m) => m.data.toString())).toEqual([
    ...Array.from({ length: 100 }, (_, i) => `m${i}`),
    'after open',
  ]);
});

test('dataProducer.send() before open of a buffer the caller then overwrites sends the bytes as they were at send()', async () => {
  const dataProducer = await transport.produceData();
  const reused = Buffer.from('first');
  dataProducer.send(reused);
  reused.write('XXXXX');
  dataProducer.send(reused);

  const messages = await session.router.waitForMessages(2, { dataProducerId: dataProducer.id });

  expect(messages.map((m) => m.data.toString())).toEqual(['first', 'XXXXX']);
});

import { type DataProducer, type Transport } from 'mediasoup-data-producer';

import {
  createTransport,
  once,
  useSessionPerFile,
  type Session,
  sleep,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
let transport: Transport;
useSessionPerFile((started) => (session = started));

beforeEach(async () => {
  transport = await createTransport(session);
});

afterEach(() => {
  jest.restoreAllMocks();
});

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

// When a DataProducer emits `open`, and what send() does before it, on FakeHandler (whose
// native callbacks come on a later turn of the event loop, as node-datachannel's do).
import { type DataProducer, type Transport } from 'mediasoup-data-producer';

import { once } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  recordProducerEvents,
  texts,
  turns,
  type FakeApp,
} from '@test-support/fakeSession.js';

let app: FakeApp;
let transport: Transport;

beforeEach(async () => {
  app = await fakeApp();
  transport = app.transport;
});

useFakeApps();

/** Counts `open` events of every producer from the moment produceData() is about to resolve. */
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

/** An app that answers producedata only when `release()` is called. */
async function lateAnswerApp(): Promise<{ app: FakeApp; release: () => void }> {
  const late = await fakeApp({ answer: false });
  const answers: (() => void)[] = [];
  late.transport.on('connect', (_parameters, callback) => {
    callback();
  });
  late.transport.on('producedata', (_parameters, callback) => {
    answers.push(() => {
      callback({ id: `late-${answers.length}` });
    });
  });
  return {
    app: late,
    release: () => {
      answers.shift()?.();
    },
  };
}

test('transport.produceData() on a new transport emits open exactly once, after produceData() resolved', async () => {
  const log: string[] = [];
  const opens = countOpens(log);

  const dataProducer = await transport.produceData();
  log.push('resolved');
  await once(dataProducer, 'open');
  await turns();

  expect(log).toEqual(['resolved', 'open 0']);
  expect(opens.get(dataProducer)).toBe(1);
  expect(dataProducer.readyState).toBe('open');
});

test('transport.produceData() answered after the SCTP stream opened emits open once, to a listener attached right after await', async () => {
  const { app: late, release } = await lateAnswerApp();
  const result = late.transport.produceData();
  await turns();
  expect(late.handler.dataChannels[0]?.isOpen()).toBe(true);

  release();
  const dataProducer = await result;
  const log = recordProducerEvents(dataProducer);
  const readyStateAtResolve = dataProducer.readyState;
  await once(dataProducer, 'open');
  await turns();

  expect(readyStateAtResolve).toBe('connecting');
  expect(log).toEqual(['open']);
});

test('transport.produceData() on a transport whose association is open emits open to a listener attached right after await', async () => {
  const first = await transport.produceData();
  await once(first, 'open');

  const second = await transport.produceData();
  const readyStateAtResolve = second.readyState;
  const log = recordProducerEvents(second);
  await once(second, 'open');
  await turns();

  expect(readyStateAtResolve).toBe('connecting');
  expect(log).toEqual(['open']);
});

test('transport.produceData() several producers each emit open exactly once', async () => {
  const log: string[] = [];
  const opens = countOpens(log);

  const producers: DataProducer[] = [];
  for (let i = 0; i < 3; i++) producers.push(await transport.produceData());
  await turns();
  producers.push(await transport.produceData());
  await turns(5);

  expect(producers.map((p) => opens.get(p))).toEqual([1, 1, 1, 1]);
  expect([...log].sort()).toEqual(['open 0', 'open 1', 'open 2', 'open 3']);
});

test('dataProducer.send() before open queues in order, counts in bufferedAmount, and hands everything to the channel before open is emitted', async () => {
  const dataProducer = await transport.produceData();
  const channel = channelOf(transport, dataProducer);
  expect(dataProducer.readyState).toBe('connecting');

  dataProducer.send('one');
  dataProducer.send(Buffer.from([2, 2]));
  dataProducer.send(new Blob(['three']));
  dataProducer.send('');
  dataProducer.send('fïve');
  const queuedBytes = dataProducer.bufferedAmount;
  const sentBeforeOpen = channel.sent.length;
  let sentAtOpen: string[] = [];
  dataProducer.on('open', () => {
    sentAtOpen = texts(channel);
  });
  await once(dataProducer, 'open');

  expect(queuedBytes).toBe(3 + 2 + 5 + 0 + 5);
  expect(sentBeforeOpen).toBe(0);
  expect(sentAtOpen).toEqual(['one', '\u0002\u0002', 'three', '', 'fïve']);
  expect(channel.sent.map((m) => typeof m)).toEqual([
    'string',
    'object',
    'object',
    'string',
    'string',
  ]);
  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer.send() before open on an open association queues in order, and a send() in the open listener goes after', async () => {
  const first = await transport.produceData();
  await once(first, 'open');

  const second = await transport.produceData();
  for (let i = 0; i < 100; i++) second.send(`m${i}`);
  second.on('open', () => {
    second.send('after open');
  });
  await once(second, 'open');

  expect(texts(channelOf(transport, second))).toEqual([
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

  await once(dataProducer, 'open');

  expect(texts(channelOf(transport, dataProducer))).toEqual(['first', 'XXXXX']);
});

test('dataProducer.send() after open with nothing queued goes straight to the channel', async () => {
  const dataProducer = await transport.produceData();
  await once(dataProducer, 'open');
  const channel = channelOf(transport, dataProducer);

  dataProducer.send('now');
  const view = new Uint8Array([1, 2, 3]);
  dataProducer.send(view);

  expect(texts(channel)).toEqual(['now', '\u0001\u0002\u0003']);
  expect(dataProducer.bufferedAmount).toBe(0);
});

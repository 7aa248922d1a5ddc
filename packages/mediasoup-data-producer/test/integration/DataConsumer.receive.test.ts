// Messages from the router to a DataConsumer over real WebRTC: every PPID, the router's
// largest message, order and volume, and client to router to client.
import type { DataConsumer, Transport, types } from 'mediasoup-data-producer';

import { numbered, sequenceOf } from '@test-support/messages.js';
import {
  consumeFromRouter,
  createRecvTransport,
  produceOnRouter,
  sendPaced,
  type RouterDataConsumer,
  type RouterDataProducer,
} from '@test-support/routerSide.js';
import {
  createTransport,
  once,
  openProducer,
  useSessionPerFile,
  waitUntil,
  type Session,
} from '@test-support/session.js';

let session!: Session;
let transport: Transport;
const routerProducers: RouterDataProducer[] = [];
useSessionPerFile((started) => (session = started));

beforeEach(async () => {
  transport = await createRecvTransport(session);
});

afterEach(() => {
  for (const producer of routerProducers.splice(0)) producer.close();
});

/** A router DataProducer and an open DataConsumer of it on `transport`. */
async function openConsumer(binaryType?: types.DataConsumerBinaryType): Promise<{
  routerProducer: RouterDataProducer;
  routerConsumer: RouterDataConsumer;
  dataConsumer: DataConsumer;
}> {
  const routerProducer = await produceOnRouter(session.router, { label: 'from-router' });
  routerProducers.push(routerProducer);
  const { dataConsumer, routerConsumer } = await consumeFromRouter(
    session,
    transport,
    routerProducer.id,
  );
  if (binaryType) dataConsumer.binaryType = binaryType;
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open', 20000);
  return { routerProducer, routerConsumer, dataConsumer };
}

/** Resolves with the next `count` messages of `dataConsumer`. */
function nextMessages(
  dataConsumer: DataConsumer,
  count: number,
  timeoutMs = 20000,
): Promise<types.DataConsumerMessage[]> {
  const messages: types.DataConsumerMessage[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      dataConsumer.off('message', onMessage);
      reject(new Error(`only ${messages.length} of ${count} messages in ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: types.DataConsumerMessage): void => {
      messages.push(message);
      if (messages.length < count) return;
      clearTimeout(timer);
      dataConsumer.off('message', onMessage);
      resolve(messages);
    };
    dataConsumer.on('message', onMessage);
  });
}

test("transport.consumeData() of a router DataProducer resolves a DataConsumer that opens with the router's stream, label and ids", async () => {
  const routerProducer = await produceOnRouter(session.router, { label: 'l', protocol: 'p' });
  routerProducers.push(routerProducer);

  const { dataConsumer, routerConsumer } = await consumeFromRouter(
    session,
    transport,
    routerProducer.id,
  );
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open', 20000);

  expect(dataConsumer.id).toBe(routerConsumer.id);
  expect(dataConsumer.dataProducerId).toBe(routerProducer.id);
  expect(dataConsumer.sctpStreamParameters.streamId).toBe(
    routerConsumer.sctpStreamParameters.streamId,
  );
  expect([dataConsumer.label, dataConsumer.protocol]).toEqual(['l', 'p']);
  expect(transport.connectionState).toBe('connected');
});

test('dataConsumer message for each PPID the router sends (51, 53, 56, 57) is a string, binary, an empty string and empty binary', async () => {
  const { routerProducer, dataConsumer } = await openConsumer('nodebuffer');
  const received = nextMessages(dataConsumer, 4);

  routerProducer.send('héllo', 51);
  routerProducer.send(Buffer.from([0, 1, 2, 255]), 53);
  routerProducer.send(' ', 56);
  routerProducer.send(Buffer.alloc(1), 57);
  const [text, binary, emptyText, emptyBinary] = await received;

  expect(text).toBe('héllo');
  expect(Buffer.isBuffer(binary) && [...binary]).toEqual([0, 1, 2, 255]);
  expect(emptyText).toBe('');
  expect(Buffer.isBuffer(emptyBinary)).toBe(true);
  expect((emptyBinary as Buffer).length).toBe(0);
});

test("dataConsumer message with the default binaryType is an ArrayBuffer of exactly the message's bytes", async () => {
  const { routerProducer, dataConsumer } = await openConsumer();
  const received = nextMessages(dataConsumer, 2);

  routerProducer.send(Buffer.from('abc'), 53);
  routerProducer.send(Buffer.alloc(1), 57);
  const [binary, empty] = (await received) as ArrayBuffer[];

  expect(binary).toBeInstanceOf(ArrayBuffer);
  expect(Buffer.from(binary as ArrayBuffer).toString()).toBe('abc');
  expect(empty).toBeInstanceOf(ArrayBuffer);
  expect(empty?.byteLength).toBe(0);
});

test("dataConsumer message with binaryType 'blob' is a Blob of the message's bytes", async () => {
  const { routerProducer, dataConsumer } = await openConsumer('blob');
  const received = nextMessages(dataConsumer, 1);

  routerProducer.send(Buffer.from('as a blob'), 53);
  const [blob] = await received;

  expect(blob).toBeInstanceOf(Blob);
  expect(await (blob as Blob).text()).toBe('as a blob');
});

test.each([
  ['a string', 'x'.repeat(262144), 51],
  ['binary data', numbered(7, 262144), 53],
] as const)(
  "dataConsumer message of %s of 262144 bytes (the router's default largest) arrives whole",
  async (_label, message, ppid) => {
    const { routerProducer, dataConsumer } = await openConsumer('nodebuffer');
    const received = nextMessages(dataConsumer, 1);

    routerProducer.send(message, ppid);
    const [data] = await received;

    expect(typeof data === 'string' ? data.length : (data as Buffer).length).toBe(262144);
    expect(data).toEqual(message);
  },
);

test('dataConsumer receives 20000 numbered messages from the router in order, with none lost', async () => {
  const { routerProducer, routerConsumer, dataConsumer } = await openConsumer('nodebuffer');
  const count = 20000;
  const received = nextMessages(dataConsumer, count, 60000);
  const started = performance.now();

  const dropped = await sendPaced(
    routerProducer,
    routerConsumer,
    Array.from({ length: count }, (_, seq) => [numbered(seq, 100), 53] as [Buffer, number]),
  );
  const messages = await received;
  const elapsedMs = performance.now() - started;

  expect(dropped).toBe(0);
  const sequence = messages.map((m) => sequenceOf(m as Buffer));
  expect(sequence).toEqual(Array.from({ length: count }, (_, i) => i));
  const stats = await transport.getStats();
  const entry = stats.get(`D${dataConsumer.sctpStreamParameters.streamId}`);
  expect(entry?.messagesReceived).toBe(count);
  expect(entry?.bytesReceived).toBe(count * 100);
  // The rate, for the record: what this machine did, not a bound.
  console.info(
    `20000 messages of 100 bytes from the router in ${elapsedMs.toFixed(0)} ms ` +
      `(${Math.round(count / (elapsedMs / 1000))} messages/s)`,
  );
}, 90000);

test("a send transport's DataProducer reaches a recv transport's DataConsumer through the router, string and binary, in order", async () => {
  const sendTransport = await createTransport(session);
  const dataProducer = await openProducer(sendTransport, { label: 'e2e' });
  const { dataConsumer } = await consumeFromRouter(session, transport, dataProducer.id);
  dataConsumer.binaryType = 'nodebuffer';
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open', 20000);
  const received = nextMessages(dataConsumer, 1000);

  for (let seq = 0; seq < 1000; seq++) {
    if (seq % 2 === 0) dataProducer.send(`text ${seq}`);
    else dataProducer.send(numbered(seq, 64));
  }
  const messages = await received;

  expect(dataConsumer.label).toBe('e2e');
  expect(messages.map((m, seq) => (seq % 2 === 0 ? m : sequenceOf(m as Buffer)))).toEqual(
    Array.from({ length: 1000 }, (_, seq) => (seq % 2 === 0 ? `text ${seq}` : seq)),
  );
});

test('transport.consumeData() 100 times on one transport gives 100 DataConsumers that each receive their own messages', async () => {
  const opened: Awaited<ReturnType<typeof openConsumer>>[] = [];
  for (let i = 0; i < 100; i++) opened.push(await openConsumer());
  const streamIds = new Set(opened.map((o) => o.dataConsumer.sctpStreamParameters.streamId));
  const all = opened.map(({ dataConsumer }) => nextMessages(dataConsumer, 1));

  opened.forEach(({ routerProducer }, i) => {
    routerProducer.send(`to consumer ${i}`, 51);
  });
  const messages = await Promise.all(all);

  expect(streamIds.size).toBe(100);
  expect(messages.map(([m]) => m)).toEqual(opened.map((_, i) => `to consumer ${i}`));
  await waitUntil(
    () => opened.every(({ dataConsumer }) => dataConsumer.readyState === 'open'),
    5000,
    'every consumer open',
  );
}, 60000);

import { type Transport } from 'mediasoup-data-producer';
import { DataChannel } from 'node-datachannel';

import {
  createTransport,
  openProducer,
  startSession,
  type Session,
} from '@test-support/session.js';

let session: Session;
let transport: Transport;

// A fresh router per test: some tests wait for the router's first messages (waitForMessages(1)
// without a producer), which an earlier test's messages would satisfy.
beforeEach(async () => {
  session = await startSession();
  transport = await createTransport(session);
});

afterEach(async () => {
  await session.close();
});

function bytes(data: Buffer | undefined): number[] {
  return [...(data ?? [])];
}

test("dataProducer on node-datachannel's handler sends on node-datachannel's own DataChannel: no wrapper sits on the send path", async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  // A look inside: the object send() calls is the native channel the handler created.
  const channel = (dataProducer as unknown as { _channel: unknown })._channel;

  const nativeClass = DataChannel as unknown as new () => object;

  expect(channel).toBeInstanceOf(nativeClass);
  expect(Object.getPrototypeOf(channel)).toBe(nativeClass.prototype);
});

test('dataProducer.send() messages arrive at the router under the DataProducer id', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  dataProducer.send('mine');

  const [message] = await session.router.waitForMessages(1);

  expect(message?.dataProducerId).toBe(dataProducer.id);
});

test('dataProducer.send() a string, binary, empty string and empty binary arrive with PPIDs 51, 53, 56, 57', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  dataProducer.send('hello');
  dataProducer.send(Buffer.from([1, 2, 3]));
  dataProducer.send('');
  dataProducer.send(new Uint8Array(0));

  const messages = await session.router.waitForMessages(4, { dataProducerId: dataProducer.id });

  expect(messages.map((m) => m.ppid)).toEqual([51, 53, 56, 57]);
  expect(messages[0]?.data.toString()).toBe('hello');
  expect(bytes(messages[1]?.data)).toEqual([1, 2, 3]);
});

test('dataProducer.send() a non-ASCII string arrives as its UTF-8 bytes with PPID 51', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  const text = 'héllo wörld ✓ 🚀';
  dataProducer.send(text);

  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  expect(message?.ppid).toBe(51);
  expect(message?.data.equals(Buffer.from(text, 'utf8'))).toBe(true);
});

test('dataProducer.send() an ArrayBuffer arrives as its bytes with PPID 53', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  const buffer = new Uint8Array([9, 8, 7, 6, 5]).buffer;
  dataProducer.send(buffer);
  dataProducer.send(new ArrayBuffer(0));

  const messages = await session.router.waitForMessages(2, { dataProducerId: dataProducer.id });

  expect(messages[0]?.ppid).toBe(53);
  expect(bytes(messages[0]?.data)).toEqual([9, 8, 7, 6, 5]);
  expect(messages[1]?.ppid).toBe(57);
});

test('dataProducer.send() a Uint16Array that is a window into a larger buffer sends only the view bytes', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  const backing = new ArrayBuffer(16);
  new Uint8Array(backing).forEach((_, i, all) => (all[i] = 0xf0 + i));
  const view = new Uint16Array(backing, 4, 3); // bytes 4..9
  dataProducer.send(view);

  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  expect(message?.ppid).toBe(53);
  expect(bytes(message?.data)).toEqual([0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9]);
});

test('dataProducer.send() a DataView that is a window into a larger buffer sends only the view bytes', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  dataProducer.send(new DataView(backing.buffer, 3, 4));

  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  expect(message?.ppid).toBe(53);
  expect(bytes(message?.data)).toEqual([3, 4, 5, 6]);
});

test('dataProducer.send() a Buffer sliced from a pooled allocation sends only its own bytes', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  // Small Buffers share Node's 8 KiB pool: byteOffset is not 0.
  const pooled = Buffer.from('pooled-bytes');
  expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
  dataProducer.send(pooled.subarray(7));

  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  expect(message?.data.toString()).toBe('bytes');
});

test('dataProducer.send() a Blob arrives as its bytes with PPID 53, an empty Blob with PPID 57', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  dataProducer.send(new Blob(['blob ', Buffer.from([0xff, 0x00])]));
  dataProducer.send(new Blob([]));

  const messages = await session.router.waitForMessages(2, { dataProducerId: dataProducer.id });

  expect(messages[0]?.ppid).toBe(53);
  expect(
    messages[0]?.data.equals(Buffer.concat([Buffer.from('blob '), Buffer.from([0xff, 0])])),
  ).toBe(true);
  expect(messages[1]?.ppid).toBe(57);
});

test('dataProducer.send() string, Blob, string arrive in the order sent although the Blob is read asynchronously', async () => {
  const dataProducer = await openProducer(transport, { label: 'chat' });
  dataProducer.send('first');
  dataProducer.send(new Blob(['second']));
  dataProducer.send('third');
  dataProducer.send(new Blob(['fourth']));
  dataProducer.send(new Blob(['fifth']));
  dataProducer.send(Buffer.from('sixth'));

  const messages = await session.router.waitForMessages(6, { dataProducerId: dataProducer.id });

  expect(messages.map((m) => m.data.toString())).toEqual([
    'first',
    'second',
    'third',
    'fourth',
    'fifth',
    'sixth',
  ]);
  expect(messages.map((m) => m.ppid)).toEqual([51, 53, 51, 53, 53, 53]);
});

test('dataProducer.send() a message larger than the router max message size throws TypeError and sends nothing', async () => {
  const small = await createTransport(session, { router: { maxSctpMessageSize: 1000 } });
  const dataProducer = await openProducer(small, { label: 'chat' });

  dataProducer.send(Buffer.alloc(1000, 1)); // exactly the limit: accepted
  expect(() => {
    dataProducer.send(Buffer.alloc(1001));
  }).toThrow(TypeError);
  expect(() => {
    dataProducer.send('x'.repeat(1001));
  }).toThrow(TypeError);
  // 501 characters but 1002 UTF-8 bytes: the limit is in bytes.
  expect(() => {
    dataProducer.send('é'.repeat(501));
  }).toThrow(TypeError);
  expect(() => {
    dataProducer.send(new Blob([new Uint8Array(1001)]));
  }).toThrow(TypeError);
  expect(dataProducer.bufferedAmount).toBeLessThanOrEqual(1000);
  dataProducer.send('marker');

  // Ordered: anything sent between the two would arrive before the marker.
  const messages = await session.router.waitForMessages(2, { dataProducerId: dataProducer.id });
  expect(messages.map((m) => m.data.length)).toEqual([1000, 6]);
  expect(messages[1]?.data.toString()).toBe('marker');
});

test('dataProducer.send() a message larger than the router max message size before open throws TypeError', async () => {
  const small = await createTransport(session, { router: { maxSctpMessageSize: 1000 } });
  const dataProducer = await small.produceData();
  expect(dataProducer.readyState).toBe('connecting');

  expect(() => {
    dataProducer.send(new Uint8Array(1001));
  }).toThrow(TypeError);
  expect(dataProducer.bufferedAmount).toBe(0);
  dataProducer.send('marker');

  const messages = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(messages.map((m) => m.data.toString())).toEqual(['marker']);
});

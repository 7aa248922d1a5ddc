// What a DataConsumer's `message` event gives for each kind of native message and each
// binaryType, on FakeHandler (whose channel delivers as node-datachannel does: a string for
// PPID 51 and 56, a Buffer for 53 and 57).
import type { DataConsumer, types } from 'mediasoup-data-producer';

import {
  channelOf,
  useFakeApps,
  fakeApp,
  recordMessages,
  routerDataConsumer,
  turns,
} from '@test-support/fakeSession.js';
import { once } from '@test-support/events.js';

useFakeApps();

async function consumerWithChannel(): Promise<{
  dataConsumer: DataConsumer;
  channel: types.FakeDataChannel;
}> {
  const { transport } = await fakeApp({ direction: 'recv' });
  const dataConsumer = await transport.consumeData(routerDataConsumer(0));
  return { dataConsumer, channel: channelOf(transport, dataConsumer) };
}

/** The one message `native` becomes on a consumer with `binaryType`. */
async function receive(
  native: string | Buffer | ArrayBuffer,
  binaryType?: types.DataConsumerBinaryType,
): Promise<types.DataConsumerMessage> {
  const { dataConsumer, channel } = await consumerWithChannel();
  if (binaryType) dataConsumer.binaryType = binaryType;
  const received = once(dataConsumer, 'message');
  channel.simulateMessage(native);
  const [message] = (await received) as [types.DataConsumerMessage];
  return message;
}

describe('DataConsumer message event', () => {
  test.each([
    ['a string (PPID 51)', 'héllo 😀'],
    ["'' (PPID 56)", ''],
  ])('dataConsumer message for %s is that string', async (_label, text) => {
    const message = await receive(text);

    expect(message).toBe(text);
  });

  test.each(['arraybuffer', 'blob', 'nodebuffer'] as const)(
    "dataConsumer message for a string with binaryType '%s' is still the string",
    async (binaryType) => {
      const message = await receive('text', binaryType);

      expect(message).toBe('text');
    },
  );

  test('dataConsumer message for binary data (PPID 53) with the default binaryType is an ArrayBuffer of exactly its bytes', async () => {
    const message = await receive(Buffer.from([1, 2, 3, 255]));

    expect(message).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(message as ArrayBuffer)]).toEqual([1, 2, 3, 255]);
  });

  test("dataConsumer message for a Buffer that views part of a larger ArrayBuffer with binaryType 'arraybuffer' is an ArrayBuffer of only its bytes", async () => {
    const pool = new ArrayBuffer(64);
    new Uint8Array(pool).fill(7);
    const view = Buffer.from(pool, 10, 3);
    view.set([1, 2, 3]);

    const message = await receive(view, 'arraybuffer');

    expect(message).toBeInstanceOf(ArrayBuffer);
    expect((message as ArrayBuffer).byteLength).toBe(3);
    expect([...new Uint8Array(message as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  test("dataConsumer message for a Buffer of its own with binaryType 'arraybuffer' is that Buffer's ArrayBuffer, not a copy", async () => {
    const own = Buffer.from(new ArrayBuffer(5));

    const message = await receive(own, 'arraybuffer');

    expect(message).toBe(own.buffer);
  });

  test("dataConsumer message for binary data with binaryType 'nodebuffer' is the native Buffer itself", async () => {
    const native = Buffer.from('binary');

    const message = await receive(native, 'nodebuffer');

    expect(message).toBe(native);
  });

  test("dataConsumer message for binary data with binaryType 'blob' is a Blob of its bytes", async () => {
    const message = await receive(Buffer.from('blob bytes'), 'blob');

    expect(message).toBeInstanceOf(Blob);
    expect(await (message as Blob).text()).toBe('blob bytes');
  });

  test.each([
    ['arraybuffer', (m: types.DataConsumerMessage) => (m as ArrayBuffer).byteLength, ArrayBuffer],
    ['nodebuffer', (m: types.DataConsumerMessage) => (m as Buffer).length, Buffer],
    ['blob', (m: types.DataConsumerMessage) => (m as Blob).size, Blob],
  ] as const)(
    "dataConsumer message for empty binary data (PPID 57) with binaryType '%s' is zero-length",
    async (binaryType, sizeOf, type) => {
      const message = await receive(Buffer.alloc(0), binaryType);

      expect(message).toBeInstanceOf(type);
      expect(sizeOf(message)).toBe(0);
    },
  );

  test.each([
    ['arraybuffer', ArrayBuffer],
    ['nodebuffer', Buffer],
    ['blob', Blob],
  ] as const)(
    "dataConsumer message for a native ArrayBuffer with binaryType '%s' is converted",
    async (binaryType, type) => {
      const message = await receive(new Uint8Array([9, 8]).buffer, binaryType);

      expect(message).toBeInstanceOf(type);
    },
  );

  test('dataConsumer.binaryType changed between messages applies to the next message', async () => {
    const { dataConsumer, channel } = await consumerWithChannel();
    const messages = recordMessages(dataConsumer);

    channel.simulateMessage(Buffer.from([1]));
    await turns();
    dataConsumer.binaryType = 'nodebuffer';
    channel.simulateMessage(Buffer.from([2]));
    await turns();

    expect(messages[0]).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.isBuffer(messages[1])).toBe(true);
  });

  test('dataConsumer message events come in the order the channel delivered them', async () => {
    const { dataConsumer, channel } = await consumerWithChannel();
    dataConsumer.binaryType = 'nodebuffer';
    const messages = recordMessages(dataConsumer);

    for (let i = 0; i < 100; i++) {
      channel.simulateMessage(i % 2 === 0 ? `text ${i}` : Buffer.from(`binary ${i}`));
    }
    await turns();

    expect(messages.map((m) => (typeof m === 'string' ? m : (m as Buffer).toString()))).toEqual(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `text ${i}` : `binary ${i}`)),
    );
  });

  test('dataConsumer message listener that throws does not stop the delivery of the next messages', async () => {
    const { dataConsumer, channel } = await consumerWithChannel();
    const seen: types.DataConsumerMessage[] = [];
    dataConsumer.on('message', (message) => {
      seen.push(message);
      if (message === 'one') throw new Error('listener bug');
    });

    channel.simulateMessage('one');
    channel.simulateMessage('two');
    await turns();

    expect(seen).toEqual(['one', 'two']);
    expect(dataConsumer.closed).toBe(false);
  });

  test('dataConsumer emits no message after close()', async () => {
    const { dataConsumer, channel } = await consumerWithChannel();
    const messages = recordMessages(dataConsumer);
    channel.simulateMessage('before');
    await turns();

    dataConsumer.close();
    channel.simulateMessage('after');
    await turns();

    expect(messages).toEqual(['before']);
  });
});

// dataProducer.send()'s checks on FakeHandler: what it refuses, and what it hands to the
// native channel as it is (the bytes and PPIDs on the wire are checked on the router).
import { type DataProducer, type Transport } from 'mediasoup-data-producer';

import { once } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  routerTransportParameters,
  texts,
} from '@test-support/fakeSession.js';

useFakeApps();

/** A transport on FakeHandler whose router accepts `maxMessageSize`, and an open producer on it. */
async function openOnRouterLimit(maxMessageSize = 262144): Promise<{
  transport: Transport;
  dataProducer: DataProducer;
}> {
  const { sctpParameters } = routerTransportParameters();
  const { transport } = await fakeApp({
    client: { sctpParameters: { port: sctpParameters?.port ?? 5000, maxMessageSize } },
  });
  const dataProducer = await transport.produceData();
  await once(dataProducer, 'open');
  return { transport, dataProducer };
}

test('dataProducer.send() a number, object, null, undefined, boolean, array or symbol throws TypeError and hands nothing over', async () => {
  const { transport, dataProducer } = await openOnRouterLimit();

  for (const value of [42, { text: 'hi' }, null, undefined, true, [1, 2], Symbol('s')]) {
    expect(() => {
      dataProducer.send(value as unknown as string);
    }).toThrow(
      new TypeError('data must be a string, Buffer, ArrayBuffer, ArrayBufferView or Blob'),
    );
  }
  dataProducer.send('marker');

  expect(texts(channelOf(transport, dataProducer))).toEqual(['marker']);
});

test('dataProducer.send() a message larger than the router max message size throws TypeError, counting UTF-8 bytes, and hands nothing over', async () => {
  const { transport, dataProducer } = await openOnRouterLimit(1000);

  dataProducer.send(Buffer.alloc(1000, 1)); // exactly the limit: accepted
  for (const tooLarge of [
    Buffer.alloc(1001),
    'x'.repeat(1001),
    'é'.repeat(501), // 501 characters, 1002 UTF-8 bytes
    new Blob([new Uint8Array(1001)]),
  ]) {
    expect(() => {
      dataProducer.send(tooLarge);
    }).toThrow(
      /^message of 100[12] bytes is larger than the router accepts \(at most 1000 bytes\)$/,
    );
  }

  expect(channelOf(transport, dataProducer).sent.map((m) => m.length)).toEqual([1000]);
});

test('dataProducer.send() of a typed-array view hands over only the view bytes, and a string as a string', async () => {
  const { transport, dataProducer } = await openOnRouterLimit();
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);

  dataProducer.send(new DataView(backing.buffer, 2, 3));
  dataProducer.send(new Uint16Array(backing.buffer, 4, 2));
  dataProducer.send(backing.buffer);
  dataProducer.send('text');

  const sent = channelOf(transport, dataProducer).sent;
  expect(sent.map((m) => (typeof m === 'string' ? m : [...m]))).toEqual([
    [2, 3, 4],
    [4, 5, 6, 7],
    [0, 1, 2, 3, 4, 5, 6, 7],
    'text',
  ]);
});

test('dataProducer.send() after open calls the native channel the handler created, with the data as given: no wrapper, no copy', async () => {
  const { transport, dataProducer } = await openOnRouterLimit();
  const channel = channelOf(transport, dataProducer);
  const sendMessage = jest.spyOn(channel, 'sendMessage');
  const sendMessageBinary = jest.spyOn(channel, 'sendMessageBinary');
  const bytes = new Uint8Array([1, 2, 3]);

  dataProducer.send('direct');
  dataProducer.send(bytes);

  expect(sendMessage.mock.calls).toEqual([['direct']]);
  expect(sendMessage.mock.contexts[0]).toBe(channel);
  expect(sendMessageBinary.mock.calls[0]?.[0]).toBe(bytes);
  expect(sendMessageBinary.mock.contexts[0]).toBe(channel);
});

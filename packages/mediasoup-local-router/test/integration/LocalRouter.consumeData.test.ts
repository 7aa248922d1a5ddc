// The router's receive side as an app's signaling uses it: a client's transport consumes a
// DataProducer (a client's or the app's own, on the DirectTransport), and closing either end
// on the router resets the client's stream. The client here is a bare node-datachannel peer.
import type { DataChannel } from 'node-datachannel';

import { LocalRouter, type ConsumeDataParams } from '../../src/index.js';
import { waitUntil } from '@test-support/events.js';
import { rejectionOf } from '@test-support/outcomes.js';
import { openRawPeer, type RawPeer } from '@test-support/rawPeer.js';

jest.setTimeout(60000);

let router: LocalRouter;
let peer: RawPeer;
const channels: DataChannel[] = [];

beforeAll(async () => {
  router = await LocalRouter.start();
  // The router numbers a transport's DataConsumers' streams from 0, apart from the streams the
  // client produces on (mediasoup-client keeps the two on separate transports): the peer's own
  // channel is out of their way.
  peer = await openRawPeer(router, 'consumer', { streamId: 1000 });
});

afterAll(async () => {
  for (const channel of channels) channel.close();
  peer.close();
  await router.close();
});

/** The peer's channel on the stream the router picked, with what arrives on it and whether it closed. */
function channelFor(params: ConsumeDataParams): {
  received: (string | Buffer | ArrayBuffer)[];
  closed: () => boolean;
} {
  const channel = peer.pc.createDataChannel(params.label, {
    negotiated: true,
    id: params.sctpStreamParameters.streamId,
  });
  channels.push(channel);
  const received: (string | Buffer | ArrayBuffer)[] = [];
  let closed = false;
  channel.onMessage((message) => received.push(message));
  channel.onClosed(() => (closed = true));
  return { received, closed: () => closed };
}

test('LocalRouter.consumeData() of a direct DataProducer returns the stream the router picked, and send() reaches the client on it', async () => {
  const direct = await router.createDirectDataProducer({ label: 'news', protocol: 'json' });

  const params = await router.consumeData(peer.transportId, {
    dataProducerId: direct.id,
    appData: { seat: 3 },
  });
  const channel = channelFor(params);
  await waitUntil(() => peer.pc.state() === 'connected', 10000, 'peer connected');
  // The router sends nothing before the channel exists on the client; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  direct.send('hello');
  direct.send(Buffer.from([1, 2, 3]));

  expect(params).toMatchObject({
    dataProducerId: direct.id,
    label: 'news',
    protocol: 'json',
    appData: { seat: 3 },
  });
  expect(Number.isInteger(params.sctpStreamParameters.streamId)).toBe(true);
  expect(router.hasDataConsumer(params.id)).toBe(true);
  await waitUntil(() => channel.received.length === 2, 10000, 'two messages');
  expect(channel.received[0]).toBe('hello');
  expect(Buffer.from(channel.received[1] as Buffer)).toEqual(Buffer.from([1, 2, 3]));
});

test("LocalRouter.listDataProducers() lists the clients' and the app's DataProducers with their transport", async () => {
  const direct = await router.createDirectDataProducer({ label: 'room', appData: { room: 'a' } });

  const listed = router.listDataProducers();

  expect(listed).toEqual(
    expect.arrayContaining([
      {
        id: peer.dataProducerId,
        transportId: peer.transportId,
        label: 'consumer',
        protocol: '',
        appData: {},
      },
      {
        id: direct.id,
        transportId: undefined,
        label: 'room',
        protocol: '',
        appData: { room: 'a' },
      },
    ]),
  );
});

test('LocalRouter.consumeData() twice on one transport gives each DataConsumer its own stream', async () => {
  const first = await router.createDirectDataProducer();
  const second = await router.createDirectDataProducer();

  const streams = [
    await router.consumeData(peer.transportId, { dataProducerId: first.id }),
    await router.consumeData(peer.transportId, { dataProducerId: second.id }),
  ].map((params) => params.sctpStreamParameters.streamId);

  expect(new Set(streams).size).toBe(2);
});

test("LocalRouter.closeDataConsumer() closes the router's DataConsumer and the client's stream", async () => {
  const direct = await router.createDirectDataProducer();
  const params = await router.consumeData(peer.transportId, { dataProducerId: direct.id });
  const channel = channelFor(params);

  router.closeDataConsumer(params.id);

  expect(router.hasDataConsumer(params.id)).toBe(false);
  expect(() => {
    router.closeDataConsumer(params.id);
  }).toThrow(`no data consumer ${params.id}`);
  await waitUntil(() => channel.closed(), 10000, 'client channel closed');
});

test('LocalDirectDataProducer.close() closes its DataConsumers and resets their streams', async () => {
  const direct = await router.createDirectDataProducer();
  const params = await router.consumeData(peer.transportId, { dataProducerId: direct.id });
  const channel = channelFor(params);

  direct.close();

  expect(router.listDataProducers().map((info) => info.id)).not.toContain(direct.id);
  await waitUntil(() => !router.hasDataConsumer(params.id), 10000, 'DataConsumer gone');
  await waitUntil(() => channel.closed(), 10000, 'client channel closed');
});

test("LocalRouter.dataConsumer() gives the router's DataConsumer: closed once its DataProducer closed, unknown ids throw", async () => {
  const direct = await router.createDirectDataProducer();
  const params = await router.consumeData(peer.transportId, { dataProducerId: direct.id });
  const consumer = router.dataConsumer(params.id);
  const before = consumer.closed;
  const dataProducerClosed = new Promise<void>((resolve) => {
    consumer.on('dataproducerclose', resolve);
  });

  direct.close();
  await dataProducerClosed;

  expect(before).toBe(false);
  expect(consumer.closed).toBe(true);
  expect(direct.closed).toBe(true);
  expect(consumer.dataProducerId).toBe(direct.id);
  expect(() => router.dataConsumer(params.id)).toThrow(`no data consumer ${params.id}`);
});

test("LocalRouter.getDataProducerStats() gives the worker's counts of a client's DataProducer; an unknown id rejects", async () => {
  peer.dc.sendMessage('counted');
  await router.waitForMessages(1, { dataProducerId: peer.dataProducerId });

  const stats = (await router.getDataProducerStats(peer.dataProducerId)) as {
    messagesReceived?: number;
  }[];

  expect(stats.some((item) => (item.messagesReceived ?? 0) >= 1)).toBe(true);
  await expect(router.getDataProducerStats('nope')).rejects.toThrow(
    'no data producer nope on the local router',
  );
});

test("LocalRouter.consumeData() of an unknown DataProducer rejects with mediasoup's not-found error", async () => {
  const unknown = '00000000-0000-0000-0000-000000000000';

  const error = await rejectionOf(
    router.consumeData(peer.transportId, { dataProducerId: unknown }),
  );

  // mediasoup's own error: Error up to 3.19, its NotFoundError (a subclass) since.
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toBe(`DataProducer with id "${unknown}" not found`);
});

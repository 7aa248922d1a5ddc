// Two bots on a real mediasoup router (the local router, in this process): one produces and
// sends numbered messages, the other consumes them; the router and the consumer each get every
// message once, in order, and the bots close what they opened on the server. (The bot's steps
// one by one, on FakeHandler: unit/Bot.test.ts.)
import { decodeMessage } from 'mediasoup-data-bots';
import { LocalRouter } from 'mediasoup-local-router';

import { Bot } from '../../src/Bot.js';
import type { SignalingAdapter, WebRtcTransportParameters } from '../../src/adapter.js';

jest.setTimeout(30000);

let router: LocalRouter;
const bots: Bot[] = [];

beforeAll(async () => {
  router = await LocalRouter.start({ recordMessages: true });
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.close({ lossless: false })));
});

afterAll(async () => {
  await router.close();
});

/** The app's signaling, played by calling the router directly; records the closed transports. */
function localSignaling(): SignalingAdapter & { closedTransports: string[] } {
  const closedTransports: string[] = [];
  return {
    closedTransports,
    getRouterRtpCapabilities: () => Promise.resolve(router.rtpCapabilities),
    createWebRtcTransport: async () =>
      (await router.createWebRtcTransport()) as unknown as WebRtcTransportParameters,
    connectWebRtcTransport: ({ transportId, dtlsParameters }) =>
      router.connect(transportId, { dtlsParameters }),
    produceData: ({ transportId, ...params }) => router.produceData(transportId, params),
    consumeData: async ({ transportId, dataProducerId }) => {
      const { id, sctpStreamParameters, label, protocol } = await router.consumeData(transportId, {
        dataProducerId,
      });
      return {
        id,
        dataProducerId,
        sctpStreamParameters,
        label,
        protocol,
      };
    },
    closeTransport: ({ transportId }) => {
      closedTransports.push(transportId);
      router.closeTransport(transportId);
      return Promise.resolve();
    },
  };
}

function newBot(id: string, adapter: SignalingAdapter): Bot {
  const bot = new Bot({ id, runId: 'run-bots-integration', adapter, room: 'r1' });
  bots.push(bot);
  return bot;
}

test('bot.send() of 20 numbered messages reaches the router and a consuming bot once each, in order; bot.close() closes both transports on the server', async () => {
  const signaling = localSignaling();
  const sender = newBot('sender', signaling);
  const receiver = newBot('receiver', signaling);
  const sendTransport = await sender.connect();
  const producer = await sender.produceData({ label: 'chat' });
  const consumer = await receiver.consume(producer.dataProducer.id);

  await sender.send({ count: 20, size: 64 });
  const atRouter = await router.waitForMessages(20, {
    dataProducerId: producer.dataProducer.id,
    timeoutMs: 10000,
  });
  await receiver.waitForMessages({ count: 20, timeoutMs: 10000 });

  const seqs = Array.from({ length: 20 }, (_, i) => i);
  expect(atRouter.map((m) => decodeMessage(m.data)?.seq)).toEqual(seqs);
  expect(producer.sent).toBe(20);
  expect(consumer.received).toBe(20);

  const recvTransportId = receiver.receiveTransport?.id;
  await Promise.all(bots.splice(0).map((bot) => bot.close()));
  expect(signaling.closedTransports.sort()).toEqual([sendTransport.id, recvTransportId].sort());
});

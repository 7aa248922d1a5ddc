// The bot's steps on FakeHandler (no router): connect with a deadline and the late answer's
// clean-up, produce with appData, paced numbered sends, consume, counting from a consumer's
// first message, and a missing tail counted as lost.
import type { Device } from 'mediasoup-data-producer';

import { Bot, BotError, type BotCounter, type BotMetrics } from '../../src/Bot.js';
import type {
  DataConsumerHandler,
  SignalingAdapter,
  WebRtcTransportParameters,
} from '../../src/adapter.js';
import { decodeMessage, encodeMessage } from '../../src/message.js';
import {
  channelOf,
  fakeDevice,
  routerDataConsumer,
  routerTransportParameters,
  turns,
} from '@test-support/fakeSession.js';

function counting(): BotMetrics & { counts: Partial<Record<BotCounter, number>> } {
  const counts: Partial<Record<BotCounter, number>> = {};
  return {
    counts,
    counter(name, value) {
      counts[name] = (counts[name] ?? 0) + value;
    },
    histogram: () => undefined,
  };
}

interface FakeAdapter extends SignalingAdapter {
  produced: Record<string, unknown>[];
  closedTransports: string[];
}

function adapter(overrides: Partial<SignalingAdapter> = {}): FakeAdapter {
  const produced: Record<string, unknown>[] = [];
  const closedTransports: string[] = [];
  let streams = 0;
  return {
    produced,
    closedTransports,
    getRouterRtpCapabilities: () => Promise.resolve({ codecs: [], headerExtensions: [] }),
    createWebRtcTransport: () =>
      Promise.resolve(routerTransportParameters() as WebRtcTransportParameters),
    connectWebRtcTransport: () => Promise.resolve(),
    produceData: (request) => {
      produced.push(request.appData);
      return Promise.resolve({ id: `dp-${produced.length}` });
    },
    consumeData: ({ dataProducerId }) => {
      streams++;
      return Promise.resolve({
        ...routerDataConsumer(streams),
        dataProducerId,
        label: '',
        protocol: '',
      });
    },
    closeTransport: ({ transportId }) => {
      closedTransports.push(transportId);
      return Promise.resolve();
    },
    ...overrides,
  };
}

let device: Device;
const bots: Bot[] = [];

beforeEach(async () => {
  device = await fakeDevice();
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.close({ lossless: false })));
});

function newBot(app: SignalingAdapter, metrics?: BotMetrics): Bot {
  const bot = new Bot({
    id: 'bot-1',
    runId: 'run-1',
    adapter: app,
    device,
    room: 'r1',
    connectTimeoutMs: 2000,
    ...(metrics && { metrics }),
  });
  bots.push(bot);
  return bot;
}

test('bot.send() after connect and produceData sends count numbered messages from 0 with the bot appData', async () => {
  const app = adapter();
  const metrics = counting();
  const bot = newBot(app, metrics);
  const transport = await bot.connect();
  const producer = await bot.produceData({ label: 'chat', appData: { extra: 1 } });

  await bot.send({ count: 5, size: 32 });

  const sent = channelOf(transport, producer.dataProducer).sent;
  expect(sent.map((m) => decodeMessage(m as Uint8Array)?.seq)).toEqual([0, 1, 2, 3, 4]);
  expect(app.produced).toEqual([
    { mdpRunId: 'run-1', botId: 'bot-1', producer: 0, room: 'r1', extra: 1 },
  ]);
  expect(metrics.counts).toMatchObject({ producersOpened: 1, messagesSent: 5, bytesSent: 160 });
});

test('bot.connect() when createWebRtcTransport answers after the timeout rejects, and close() closes the late transport on the server', async () => {
  let answer: (params: WebRtcTransportParameters) => void = () => undefined;
  const app = adapter({
    createWebRtcTransport: () =>
      new Promise((resolve) => {
        answer = resolve;
      }),
  });
  const metrics = counting();
  const bot = newBot(app, metrics);

  // Long enough that the steps before createWebRtcTransport finish first on a loaded machine.
  const error = await bot.connect({ timeoutMs: 500 }).catch((e: unknown) => e);
  answer({ ...(routerTransportParameters() as WebRtcTransportParameters), id: 'late-transport' });
  await bot.close();

  expect(error).toBeInstanceOf(BotError);
  expect(error).toMatchObject({
    kind: 'connect',
    message: 'connect: createWebRtcTransport was not answered within 500 ms',
  });
  expect(app.closedTransports).toEqual(['late-transport']);
  expect(metrics.counts.transportsFailed).toBe(1);
});

test('bot.waitForMessages() of a consumer that opened late counts from its first message: none lost, none short', async () => {
  const metrics = counting();
  const bot = newBot(adapter(), metrics);
  const consumer = await bot.consume('producer-of-other');
  const channel = channelOf(bot.receiveTransport as never, consumer.dataConsumer);

  // Messages 0-2 were sent before this consumer opened.
  for (const seq of [3, 4]) channel.simulateMessage(encodeMessage(16, seq));
  await turns();
  await bot.waitForMessages({ count: 5, timeoutMs: 1000 });

  expect(consumer.received).toBe(2);
  expect(metrics.counts).toMatchObject({
    consumersOpened: 1,
    messagesReceived: 2,
    messagesBeforeOpen: 3,
  });
  // Counted even when none: a threshold on losses needs the counter.
  expect(metrics.counts.messagesLost).toBe(0);
});

test('bot.waitForMessages() when the tail does not arrive rejects with receiveTimeout and counts the tail as lost', async () => {
  const metrics = counting();
  const bot = newBot(adapter(), metrics);
  const consumer = await bot.consume('producer-of-other');
  const channel = channelOf(bot.receiveTransport as never, consumer.dataConsumer);

  for (const seq of [0, 1, 2]) channel.simulateMessage(encodeMessage(16, seq));
  await turns();
  const error = await bot.waitForMessages({ count: 10, timeoutMs: 100 }).catch((e: unknown) => e);

  expect(error).toMatchObject({ kind: 'receiveTimeout' });
  expect((error as Error).message).toMatch(
    /1 of 1 consumers short of 10 messages .*: 7 counted lost/,
  );
  expect(metrics.counts.messagesLost).toBe(7);
});

test('bot.waitForMessages() counts a gap within the sequence as lost once', async () => {
  const metrics = counting();
  const bot = newBot(adapter(), metrics);
  const consumer = await bot.consume('producer-of-other');
  const channel = channelOf(bot.receiveTransport as never, consumer.dataConsumer);

  for (const seq of [0, 1, 4]) channel.simulateMessage(encodeMessage(16, seq));
  await turns();
  await bot.waitForMessages({ idleMs: 10, timeoutMs: 1000 });
  bot.countArrivals();

  expect(metrics.counts.messagesLost).toBe(2);
});

test('bot.produceData() before connect rejects with a scenario error', async () => {
  const bot = newBot(adapter());
  await expect(bot.produceData({ label: 'x' })).rejects.toMatchObject({
    kind: 'scenario',
    message: 'produceData: no transport (connect first)',
  });
});

test('bot.closeSend() right after sending closes each DataProducer through closeGracefully(), then the transport here and on the server', async () => {
  const app = adapter();
  const bot = newBot(app);
  const transport = await bot.connect();
  const { dataProducer } = await bot.produceData({ label: 'chat' });
  const graceful = jest.spyOn(dataProducer, 'closeGracefully');
  await bot.send({ count: 3, size: 16 });

  await bot.closeSend();

  expect(graceful).toHaveBeenCalledWith({ timeout: 1500 });
  expect(dataProducer.closed).toBe(true);
  expect(transport.closed).toBe(true);
  expect(app.closedTransports).toEqual([transport.id]);
});

/** An app that pushes its consumers: sessions with onDataConsumer() and no consumeData(). */
function pushingApp(): { app: SignalingAdapter; push: () => DataConsumerHandler | undefined } {
  let handler: DataConsumerHandler | undefined;
  const base: SignalingAdapter = adapter();
  delete base.consumeData;
  const app: SignalingAdapter = {
    ...base,
    openSession: () =>
      Promise.resolve({
        ...base,
        onDataConsumer: (consume: DataConsumerHandler) => {
          handler = consume;
        },
      }),
  };
  return { app, push: () => handler };
}

test('bot.consume() through a session without consumeData() resolves with the DataConsumer the app pushes for that producer', async () => {
  const { app, push } = pushingApp();
  const bot = newBot(app);
  const consuming = bot.consume('dp-other', { openBy: performance.now() + 2000 });
  while (!bot.receiveTransport) await turns(1);
  const pushed = routerDataConsumer(7, { dataProducerId: 'dp-other', appData: {} });

  await push()?.({ ...pushed, label: 'chat', protocol: 'json', appData: {} });
  const consumer = await consuming;

  expect(consumer).toMatchObject({ id: pushed.id, dataProducerId: 'dp-other' });
  expect(consumer.dataConsumer.dataProducerId).toBe('dp-other');
});

test('bot.consume() through a session without consumeData() when the app pushes nothing rejects with consumeTimeout', async () => {
  const { app } = pushingApp();
  const bot = newBot(app);

  const error = await bot
    .consume('dp-other', { openBy: performance.now() + 200 })
    .catch((e: unknown) => e);

  expect(error).toBeInstanceOf(BotError);
  expect(error).toMatchObject({ kind: 'consumeTimeout' });
  expect((error as Error).message).toMatch(
    /^consumeData: the app pushed no open DataConsumer of DataProducer dp-other within \d+ ms/,
  );
});

// What LocalRouter keeps of the messages it receives: by default the most recent ones within
// a bound, so that a long-running user of the public export does not grow without bound.
import { Device, type DataProducer } from 'mediasoup-data-producer';

import {
  DEFAULT_MESSAGE_RECORDING,
  LocalRouter,
  type LocalRouterOptions,
  type ReceivedMessage,
} from '../../src/index.js';
import { createTransport, openProducer, waitUntil, type Session } from '@test-support/session.js';

jest.setTimeout(60000);

let session: Session | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
});

/** A router started with `options`, one open DataProducer into it, and every arrival counted. */
async function open(
  options: LocalRouterOptions,
): Promise<{ router: LocalRouter; dataProducer: DataProducer; arrived: ReceivedMessage[] }> {
  const router = await LocalRouter.start(options);
  const device = new Device();
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const current: Session = {
    router,
    device,
    transports: [],
    async close() {
      for (const transport of this.transports) transport.close();
      await router.close();
    },
  };
  session = current;
  const dataProducer = await openProducer(await createTransport(current));
  const arrived: ReceivedMessage[] = [];
  router.on('message', (message) => arrived.push(message));
  return { router, dataProducer, arrived };
}

async function sendNumbered(
  dataProducer: DataProducer,
  arrived: ReceivedMessage[],
  count: number,
  size = 0,
): Promise<void> {
  for (let i = 0; i < count; i++) dataProducer.send(String(i).padEnd(size, '.'));
  await waitUntil(() => arrived.length >= count, 30000, `${count} messages at the router`);
}

const texts = (messages: ReceivedMessage[]): string[] =>
  messages.map((m) => m.data.toString().replace(/\.+$/, ''));

test('LocalRouter by default keeps only the 10000 most recent messages and counts the dropped ones', async () => {
  expect(DEFAULT_MESSAGE_RECORDING).toEqual({ maxMessages: 10000, maxBytes: 64 * 1024 * 1024 });
  const { router, dataProducer, arrived } = await open({});

  await sendNumbered(dataProducer, arrived, 10050);

  expect(router.messages).toHaveLength(10000);
  expect(router.droppedMessages).toBe(50);
  expect(texts(router.messages.slice(0, 2))).toEqual(['50', '51']);
  expect(texts(router.messages.slice(-1))).toEqual(['10049']);
  expect(router.messagesOf(dataProducer.id)).toHaveLength(10000);
  await expect(router.waitForMessages(10001)).rejects.toThrow(
    'waitForMessages(10001) asks for more messages than this LocalRouter keeps ' +
      '(at most 10000 messages and at most 67108864 bytes): start it with recordMessages: true to keep every message',
  );
});

test('LocalRouter with recordMessages: true keeps every message', async () => {
  const { router, dataProducer, arrived } = await open({ recordMessages: true });

  await sendNumbered(dataProducer, arrived, 10050);

  expect(router.messages).toHaveLength(10050);
  expect(router.droppedMessages).toBe(0);
  expect(texts(router.messages.slice(0, 1))).toEqual(['0']);
  await expect(router.waitForMessages(10050)).resolves.toHaveLength(10050);
});

test('LocalRouter with recordMessages: { maxBytes } keeps the most recent messages within that many bytes', async () => {
  const { router, dataProducer, arrived } = await open({ recordMessages: { maxBytes: 1000 } });

  await sendNumbered(dataProducer, arrived, 10, 300);

  expect(texts(router.messages)).toEqual(['7', '8', '9']);
  expect(router.droppedMessages).toBe(7);
  // Five arrive while waiting for them, but only three fit: the wait says so.
  dataProducer.send('x'.repeat(300));
  const waiting = router.waitForMessages(5 + 3, { dataProducerId: dataProducer.id });
  for (let i = 0; i < 4; i++) dataProducer.send('y'.repeat(300));
  await expect(waiting).rejects.toThrow(
    '8 messages arrived but only the last 3 are kept (at most 10000 messages and at most 1000 bytes): ' +
      'start the LocalRouter with recordMessages: true to keep every message',
  );
});

test('LocalRouter with recordMessages: false keeps nothing but still emits every message', async () => {
  const { router, dataProducer, arrived } = await open({ recordMessages: false });

  await sendNumbered(dataProducer, arrived, 20);

  expect(texts(arrived)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  expect(router.messages).toEqual([]);
  await expect(router.waitForMessages(1)).rejects.toThrow(
    'waitForMessages() needs a LocalRouter that records messages (it was started with recordMessages: false)',
  );
});

test.each([
  [{ maxMessages: 0 }, 'recordMessages.maxMessages must be a positive integer or Infinity, got 0'],
  [{ maxBytes: 1.5 }, 'recordMessages.maxBytes must be a positive integer or Infinity, got 1.5'],
])(
  'LocalRouter.start() with recordMessages %p rejects with TypeError before starting a worker',
  async (recordMessages, message) => {
    await expect(LocalRouter.start({ recordMessages })).rejects.toThrow(new TypeError(message));
  },
);

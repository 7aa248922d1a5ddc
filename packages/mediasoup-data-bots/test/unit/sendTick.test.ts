// The shared send tick: one timer wakes every sleeping sender at its slot; bots paced by it
// keep their rates, fractional ones included, without a timer each; a closed bot leaves it.
// Time is jest's fake clock (setImmediate stays real, for FakeHandler): nothing is timed.
import type { Device } from 'mediasoup-data-producer';

import { Bot } from '../../src/Bot.js';
import type { SignalingAdapter, WebRtcTransportParameters } from '../../src/adapter.js';
import { decodeMessage } from '../../src/message.js';
import { SendTick } from '../../src/sendTick.js';
import { channelOf, fakeDevice, routerTransportParameters } from '@test-support/fakeSession.js';

let device: Device;
const bots: Bot[] = [];

beforeEach(async () => {
  device = await fakeDevice();
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(bots.splice(0).map((bot) => bot.close({ lossless: false })));
  jest.restoreAllMocks();
});

function app(): SignalingAdapter {
  let produced = 0;
  return {
    getRouterRtpCapabilities: () => Promise.resolve({ codecs: [], headerExtensions: [] }),
    createWebRtcTransport: () =>
      Promise.resolve(routerTransportParameters() as WebRtcTransportParameters),
    connectWebRtcTransport: () => Promise.resolve(),
    produceData: () => Promise.resolve({ id: `dp-${++produced}` }),
  };
}

async function producingBot(id: string, sendTick: SendTick): Promise<Bot> {
  const bot = new Bot({ id, runId: 'run-1', adapter: app(), device, sendTick });
  bots.push(bot);
  // Connecting takes turns of setImmediate (real) and fake timers that it clears.
  const connected = (async () => {
    await bot.connect();
    await bot.produceData({ label: id });
  })();
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  await connected;
  return bot;
}

function sentSeqs(bot: Bot): (number | undefined)[] {
  const producer = bot.producers[0];
  if (!bot.transport || !producer) throw new Error('not connected');
  return channelOf(bot.transport, producer.dataProducer).sent.map(
    (m) => decodeMessage(m as Uint8Array)?.seq,
  );
}

test('sendTick.sleeper().sleep() wakes each sleeper at the first tick at or after its time, one timer per due tick', async () => {
  const timeouts = jest.spyOn(global, 'setTimeout');
  const tick = new SendTick(10);
  const woken: string[] = [];
  const t0 = performance.now();
  const sleeps = (
    [
      ['a', 25],
      ['b', 5],
      ['c', 10],
      ['d', 25],
    ] as const
  ).map(([name, ms]) =>
    tick
      .sleeper()
      .sleep(t0 + ms)
      .then(() => woken.push(`${name}@${performance.now() - t0}`)),
  );
  expect(tick.size).toBe(4);

  await jest.advanceTimersByTimeAsync(30);
  await Promise.all(sleeps);

  expect(woken).toEqual(['b@10', 'c@10', 'a@30', 'd@30']);
  expect(tick.size).toBe(0);
  expect(tick.running).toBe(false);
  // Armed for a's slot (30 ms), again for b's earlier one (10 ms), then for 30 ms.
  expect(timeouts).toHaveBeenCalledTimes(3);
});

test('tickSleeper.wake() before its tick resolves the sleep at once and leaves the tick', async () => {
  const tick = new SendTick(10);
  const sleeper = tick.sleeper();
  let woke = false;
  const sleep = sleeper.sleep(performance.now() + 10_000).then(() => {
    woke = true;
  });
  expect(tick.size).toBe(1);

  sleeper.wake();
  await sleep;

  expect(woke).toBe(true);
  expect(tick.size).toBe(0);
});

test('bot.send() with a rate on bots sharing a tick sends each bot at its own rate, fractional rates included, with one timer per due tick, not per bot', async () => {
  const tick = new SendTick(10);
  const fast: Bot[] = [];
  for (let i = 0; i < 10; i++) fast.push(await producingBot(`fast-${i}`, tick));
  const slow = await producingBot('slow', tick);
  const timeouts = jest.spyOn(global, 'setTimeout');
  const intervals = jest.spyOn(global, 'setInterval');

  const sending = [
    ...fast.map((bot) => bot.send({ rate: 2, durationMs: 4000, size: 32 })),
    slow.send({ rate: 0.5, durationMs: 4000, size: 32 }),
  ];
  await jest.advanceTimersByTimeAsync(1000);
  const fastAt1s = fast.map(sentSeqs);
  const slowAt1s = sentSeqs(slow);
  await jest.advanceTimersByTimeAsync(1000);

  // Rate 2: at 0, 500 and 1000 ms; rate 0.5: at 0, then 2000 ms.
  for (const seqs of fastAt1s) expect(seqs).toEqual([0, 1, 2]);
  expect(slowAt1s).toEqual([0]);
  for (const bot of fast) expect(sentSeqs(bot)).toEqual([0, 1, 2, 3, 4]);
  expect(sentSeqs(slow)).toEqual([0, 1]);
  expect(tick.size).toBe(11);
  // 41 waits so far: a timer set at 0, 500, 1000, 1500 and 2000 ms for the next due tick,
  // and once more at 2000 ms when the fast bots joined a tick before the slow one's.
  expect(timeouts).toHaveBeenCalledTimes(6);
  expect(intervals).not.toHaveBeenCalled();

  await jest.advanceTimersByTimeAsync(2000);
  await Promise.all(sending);
  for (const bot of fast) expect(sentSeqs(bot)).toHaveLength(8);
  expect(sentSeqs(slow)).toHaveLength(2);
  expect(tick.size).toBe(0);
});

test('bot.send() at a rate far below one a second sets one timer for its next message and none until then (an idle bot)', async () => {
  const tick = new SendTick(10);
  const bot = await producingBot('idle', tick);
  const timeouts = jest.spyOn(global, 'setTimeout');

  const sending = bot.send({ rate: 0.001, durationMs: 60_000, size: 32 });
  await jest.advanceTimersByTimeAsync(30_000);

  expect(sentSeqs(bot)).toEqual([0]);
  expect(tick.size).toBe(1);
  expect(timeouts).toHaveBeenCalledTimes(1);
  await jest.advanceTimersByTimeAsync(30_000);
  await sending;
  expect(tick.size).toBe(0);
});

test('bot.send() with a count and a rate resolves with its last message, without waiting for the next one', async () => {
  const bot = await producingBot('counted', new SendTick(10));
  let done = false;
  const sending = bot.send({ count: 3, rate: 2, size: 32 }).then(() => {
    done = true;
  });

  await jest.advanceTimersByTimeAsync(1000);

  expect(sentSeqs(bot)).toEqual([0, 1, 2]);
  expect(done).toBe(true);
  await sending;
});

test('bot.close() while its send() waits in the tick for the next message ends the send and leaves the tick', async () => {
  const tick = new SendTick(10);
  const bot = await producingBot('closing', tick);
  const sending = bot.send({ rate: 0.1, size: 32 }).catch((error: unknown) => error);
  await jest.advanceTimersByTimeAsync(100);
  expect(sentSeqs(bot)).toEqual([0]);
  expect(tick.size).toBe(1);

  const closing = bot.close({ lossless: false });
  await jest.advanceTimersByTimeAsync(100);
  await closing;
  // As when it saw the close at its next message, only without waiting for it.
  expect(await sending).toMatchObject({
    kind: 'send',
    message: 'send: the DataProducer closed (transport closed)',
  });

  expect(tick.size).toBe(0);
});

// Rooms and consumers, without a router: who consumes whom, the options, and the load
// engine's refusal of an adapter that cannot consume (integration/rooms.test.ts runs them
// through the WebSocket protocol against the local router).

import type { SignalingAdapter } from 'mediasoup-data-bots';
import {
  ConsumeNotSupportedError,
  consumedBots,
  fanOutPerBot,
  LoadEngine,
  type LoadConfig,
} from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { DEMO_DEFAULTS, toLoadConfig, type RawLoadOptions } from '../../src/options.js';

const config: LoadConfig = {
  transports: 4,
  producers: 1,
  size: 256,
  rate: 50,
  durationMs: 1500,
  rampUpMs: 0,
  ordered: undefined,
  maxRetransmits: undefined,
  maxPacketLifeTime: undefined,
  highWaterMark: 256 * 1024,
  connectTimeoutMs: 15000,
  drainTimeoutMs: 5000,
};

const raw: RawLoadOptions = {
  transports: 20,
  producers: 1,
  size: 1024,
  rate: 0,
  duration: 10,
  rampUp: 0,
  highWaterMark: 262144,
  connectTimeout: 15,
  drainTimeout: 10,
  report: false,
  progress: false,
};

describe('consumedBots()', () => {
  test('consumedBots() with rooms of 3 makes each bot consume the others of its room', () => {
    expect(consumedBots(7, { consumers: 0, roomSize: 3 })).toEqual([
      [1, 2],
      [0, 2],
      [0, 1],
      [4, 5],
      [3, 5],
      [3, 4],
      [],
    ]);
  });

  test('consumedBots() with 2 consumers gives each producer to the 2 bots after it', () => {
    const plan = consumedBots(4, { consumers: 2, roomSize: 0 });
    expect(plan).toEqual([
      [2, 3],
      [0, 3],
      [0, 1],
      [1, 2],
    ]);
    expect(fanOutPerBot(plan)).toEqual([2, 2, 2, 2]);
  });

  test('consumedBots() without consumers or rooms consumes nothing', () => {
    expect(consumedBots(3, { consumers: 0, roomSize: 0 })).toEqual([[], [], []]);
  });

  test('consumedBots() with as many consumers as bots throws', () => {
    expect(() => consumedBots(3, { consumers: 3, roomSize: 0 })).toThrow(/need more than 3 bots/);
  });
});

describe('toLoadConfig() consumers', () => {
  test('toLoadConfig() with the demo defaults makes rooms of 4', () => {
    expect(toLoadConfig(raw, { local: true, defaults: DEMO_DEFAULTS })).toMatchObject({
      consumers: 0,
      roomSize: 4,
    });
  });

  test('toLoadConfig() with --consumers and the demo defaults drops the default rooms', () => {
    expect(
      toLoadConfig({ ...raw, consumers: 2 }, { local: true, defaults: DEMO_DEFAULTS }),
    ).toMatchObject({ consumers: 2, roomSize: 0 });
  });

  test('toLoadConfig() with --consumers not below --transports throws UsageError', () => {
    expect(() => toLoadConfig({ ...raw, transports: 2, consumers: 2 }, { local: true })).toThrow(
      UsageError,
    );
  });

  test('toLoadConfig() with --room-size 1 throws UsageError', () => {
    expect(() => toLoadConfig({ ...raw, roomSize: 1 }, { local: true })).toThrow(/at least 2 bots/);
  });
});

describe('LoadEngine consuming', () => {
  test('new LoadEngine() with rooms and an adapter without consumeData throws ConsumeNotSupportedError', () => {
    const adapter: SignalingAdapter = {
      getRouterRtpCapabilities: () => Promise.resolve({}),
      createWebRtcTransport: () => Promise.reject(new Error('not expected')),
      connectWebRtcTransport: () => Promise.reject(new Error('not expected')),
      produceData: () => Promise.reject(new Error('not expected')),
    };
    expect(() => new LoadEngine(adapter, { ...config, roomSize: 2 }, 'run-no-consume')).toThrow(
      ConsumeNotSupportedError,
    );
  });
});

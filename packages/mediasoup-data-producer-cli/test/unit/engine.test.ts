// The load engine against fake adapters that answer late, fail, or lack optional methods:
// no transport stays open on the app's server, and no failure goes unreported.

import type { SignalingAdapter, WebRtcTransportParameters } from 'mediasoup-data-bots';
import { LoadEngine, type LoadConfig } from '../../src/engine/index.js';
import { NotSupportedError } from 'mediasoup-data-bots';

jest.setTimeout(30000);

const config: LoadConfig = {
  transports: 1,
  producers: 1,
  size: 1024,
  rate: 0,
  durationMs: 60000,
  rampUpMs: 0,
  ordered: undefined,
  maxRetransmits: undefined,
  maxPacketLifeTime: undefined,
  highWaterMark: 256 * 1024,
  connectTimeoutMs: 60000,
  drainTimeoutMs: 1000,
};

/** Enough for createSendTransport() to be reached; no ICE ever happens. */
function transportParameters(id: string, maxMessageSize = 262144): WebRtcTransportParameters {
  return {
    id,
    iceParameters: { usernameFragment: 'ufrag', password: 'password-password', iceLite: true },
    iceCandidates: [],
    dtlsParameters: { role: 'auto', fingerprints: [] },
    sctpParameters: { port: 5000, OS: 1024, MIS: 1024, maxMessageSize },
  } as unknown as WebRtcTransportParameters;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets every promise continuation that is already due run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs the engine on jest's fake clock, moved on until the run ends: its waits for abandoned
 * openings (seconds) take no real time. Real timers are back once it returns.
 */
async function runOnFakeClock(engine: LoadEngine): Promise<Awaited<ReturnType<LoadEngine['run']>>> {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  try {
    const run = { ended: false };
    const running = engine.run().finally(() => {
      run.ended = true;
    });
    while (!run.ended) await jest.advanceTimersByTimeAsync(100);
    return await running;
  } finally {
    jest.useRealTimers();
  }
}

function fakeAdapter(overrides: Partial<SignalingAdapter>): SignalingAdapter & {
  closeTransport: jest.Mock<Promise<void>, [{ transportId: string }]>;
} {
  return {
    getRouterRtpCapabilities: () => Promise.resolve({ codecs: [], headerExtensions: [] }),
    createWebRtcTransport: () => Promise.reject(new Error('createWebRtcTransport: not expected')),
    connectWebRtcTransport: () => Promise.reject(new Error('connectWebRtcTransport: not expected')),
    produceData: () => Promise.reject(new Error('produceData: not expected')),
    closeTransport: jest.fn(() => Promise.resolve()),
    ...overrides,
  } as SignalingAdapter & { closeTransport: jest.Mock<Promise<void>, [{ transportId: string }]> };
}

describe('LoadEngine.run()', () => {
  test('when createWebRtcTransport is answered after the run abandoned it closes that transport on the server', async () => {
    const created = deferred<WebRtcTransportParameters>();
    const adapter = fakeAdapter({ createWebRtcTransport: () => created.promise });
    const engine = new LoadEngine(adapter, { ...config, durationMs: 100 }, 'run-abandoned');

    const result = await runOnFakeClock(engine);
    expect(result.transports[0]?.id).toBeUndefined();
    expect(adapter.closeTransport.mock.calls).toEqual([]);

    created.resolve(transportParameters('late-after-end'));
    await settle();
    expect(adapter.closeTransport.mock.calls).toEqual([[{ transportId: 'late-after-end' }]]);
  });

  test('when createWebRtcTransport is answered after the connect timeout closes that transport on the server', async () => {
    const created = deferred<WebRtcTransportParameters>();
    const adapter = fakeAdapter({ createWebRtcTransport: () => created.promise });
    const engine = new LoadEngine(adapter, { ...config, connectTimeoutMs: 50 }, 'run-timeout');

    const result = await runOnFakeClock(engine);
    expect(result.endReason).toBe('no-active-producers');
    expect(result.transports[0]).toMatchObject({ status: 'failed' });
    expect(result.transports[0]?.error).toMatch(/createWebRtcTransport was not answered/);

    created.resolve(transportParameters('late-after-timeout'));
    await settle();
    expect(adapter.closeTransport.mock.calls).toEqual([[{ transportId: 'late-after-timeout' }]]);
  });

  test('when optional adapter methods fail reports each failure as a warning', async () => {
    const adapter = fakeAdapter({
      // A message size above maxMessageSize ends the run once the transport has an id.
      createWebRtcTransport: () => Promise.resolve(transportParameters('t-warn', 16)),
      getReceiverStats: () => Promise.reject(new Error('checker crashed')),
      workerCpuSeconds: () => Promise.reject(new Error('cpu probe down')),
      closeTransport: jest.fn(() => Promise.reject(new Error('server gone'))),
    });
    const result = await new LoadEngine(adapter, config, 'run-warnings').run();
    expect(result.endReason).toBe('fatal');
    expect(adapter.closeTransport.mock.calls).toEqual([[{ transportId: 't-warn' }]]);
    expect(result.warnings).toEqual([
      'workerCpuSeconds failed: cpu probe down',
      // The bot closes the transport it refused at once, before the run drains.
      'closeTransport failed: server gone',
      // Once while draining, once for the summary: the same message is given once, counted.
      'getReceiverStats failed: checker crashed (2 times)',
    ]);
    expect(result.receiver).toBeUndefined();
    expect(result.workerCpuSeconds).toBeUndefined();
  });

  test('when optional adapter methods are not supported does without them and warns of nothing', async () => {
    const notSupported = (): Promise<never> =>
      Promise.reject(new NotSupportedError('unknown method'));
    const adapter = fakeAdapter({
      createWebRtcTransport: () => Promise.resolve(transportParameters('t-unsupported', 16)),
      getReceiverStats: notSupported,
      workerCpuSeconds: notSupported,
      closeTransport: jest.fn(notSupported),
    });
    const result = await new LoadEngine(adapter, config, 'run-unsupported').run();
    expect(adapter.closeTransport.mock.calls).toEqual([[{ transportId: 't-unsupported' }]]);
    expect(result.warnings).toEqual([]);
    expect(result.errors.map((e) => e.message)).toEqual([
      'transport did not open: messages of 1024 bytes are larger than the router accepts (at most 16 bytes)',
    ]);
    expect(result.messageTooLarge).toEqual({ size: 1024, limit: 16 });
  });
});

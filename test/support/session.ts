// Wires this library to the local router the way an app's signaling would, so that each
// integration test can focus on one behaviour.
import { Device, type DataProducer, type Transport, type types } from 'mediasoup-data-producer';

import { LocalRouter, type LocalTransportOptions } from '../../src/local-router/index.js';

export interface Session {
  router: LocalRouter;
  device: Device;
  transports: Transport[];
  close(): Promise<void>;
}

export async function startSession(): Promise<Session> {
  const router = await LocalRouter.start();
  const device = new Device();
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const transports: Transport[] = [];
  return {
    router,
    device,
    transports,
    async close() {
      for (const transport of transports) transport.close();
      await router.close();
    },
  };
}

export interface TransportSetup {
  router?: LocalTransportOptions;
  /** Overrides for createSendTransport() options (e.g. iceServers). */
  client?: Partial<types.TransportOptions>;
}

/**
 * A send transport whose `connect` and `producedata` go to the local router, and whose
 * producers are closed on the router when they close here (as an app would signal).
 */
export async function createTransport(
  session: Session,
  setup: TransportSetup = {},
): Promise<Transport> {
  const { router, device } = session;
  const params = await router.createWebRtcTransport(setup.router);
  const transport = device.createSendTransport({ ...params, ...setup.client });
  session.transports.push(transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    router.produceData(transport.id, parameters).then(callback, errback);
  });
  transport.observer.on('newdataproducer', (dataProducer: DataProducer) => {
    dataProducer.observer.on('close', () => {
      if (!router.isClosed && router.hasDataProducer(dataProducer.id)) {
        router.closeDataProducer(dataProducer.id);
      }
    });
  });
  return transport;
}

/** Resolves with the arguments of the next `event` of `emitter`, or rejects after `timeoutMs`. */
export function once<T extends unknown[] = unknown[]>(
  emitter: {
    once(event: string, listener: (...args: T) => void): unknown;
    off(event: string, listener: (...args: T) => void): unknown;
  },
  event: string,
  timeoutMs = 10000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: T): void => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/**
 * One router for the whole test file (starting one costs about half a second); each test's
 * transports are closed after it. Call at the top level of a test file.
 */
export function useSessionPerFile(setSession: (session: Session) => void): void {
  let current: Session | undefined;
  beforeAll(async () => {
    current = await startSession();
    setSession(current);
  });
  afterAll(async () => {
    await current?.close();
  });
  afterEach(() => {
    for (const transport of current?.transports.splice(0) ?? []) transport.close();
  });
}

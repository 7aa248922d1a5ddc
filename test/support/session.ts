// Wires this library to the local router the way an app's signaling would, so that each
// integration test can focus on one behaviour.
import { Device, type DataProducer, type Transport, type types } from 'mediasoup-data-producer';

import { LocalRouter, loadMediasoup, type LocalTransportOptions } from 'mediasoup-local-router';

export { once, openProducer, sleep, waitForState, waitUntil } from './events.js';

export interface Session {
  router: LocalRouter;
  device: Device;
  transports: Transport[];
  close(): Promise<void>;
}

export async function startSession(): Promise<Session> {
  // Tests check every message they sent: keep them all (a test's router lives seconds).
  const router = await LocalRouter.start({ recordMessages: true });
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

/**
 * Whether the mediasoup the tests' LocalRouter loads is `minimum` or newer, known before any
 * router starts: for tests of what differs between versions, e.g. `numSctpStreams`, which
 * mediasoup >= 3.20 does not have (`routerVersionAtLeast('3.20.0') ? test.skip : test`).
 */
export function routerVersionAtLeast(minimum: string): boolean {
  // loadMediasoup() checks the package is there and the version asked for, as start() does.
  const version = loadMediasoup().version;
  const parse = (v: string): number[] =>
    v.split(/[.-]/, 3).map((part) => Number.parseInt(part, 10) || 0);
  const [have, want] = [parse(version), parse(minimum)];
  for (let i = 0; i < 3; i++) {
    const [x, y] = [have[i] ?? 0, want[i] ?? 0];
    if (x !== y) return x > y;
  }
  return true;
}

export interface TransportSetup {
  router?: LocalTransportOptions;
  /** Overrides for createSendTransport() options (e.g. iceServers). */
  client?: Partial<types.TransportOptions>;
}

/** A send transport signaled through the local router (see signalThroughLocalRouter). */
export async function createTransport(
  session: Session,
  setup: TransportSetup = {},
): Promise<Transport> {
  const { router, device } = session;
  const params = await router.createWebRtcTransport(setup.router);
  const transport = device.createSendTransport({ ...params, ...setup.client });
  signalThroughLocalRouter(session, transport);
  return transport;
}

/**
 * Answers `connect` and `producedata` of `transport` from the local router, closes its
 * producers on the router when they close here (as an app would signal, unless
 * `closeRouterProducers` is false), and has the session close it.
 */
export function signalThroughLocalRouter(
  session: Session,
  transport: Transport,
  { closeRouterProducers = true }: { closeRouterProducers?: boolean } = {},
): void {
  const { router } = session;
  signalConnectOnly(session, transport);
  transport.on('producedata', (parameters, callback, errback) => {
    router.produceData(transport.id, parameters).then(callback, errback);
  });
  if (!closeRouterProducers) return;
  transport.observer.on('newdataproducer', (dataProducer: DataProducer) => {
    dataProducer.observer.on('close', () => {
      if (!router.isClosed && router.hasDataProducer(dataProducer.id)) {
        router.closeDataProducer(dataProducer.id);
      }
    });
  });
}

/** Answers `connect` of `transport` from the local router, and has the session close it. */
export function signalConnectOnly(session: Session, transport: Transport): void {
  const { router } = session;
  session.transports.push(transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
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

// The connection as the router sees it: real states, a real DTLS fingerprint and both DTLS roles.
import { type Transport, type types } from 'mediasoup-data-producer';

import {
  createTransport,
  type Session,
  useSessionPerFile,
  openProducer,
  signalThroughLocalRouter,
  waitForState,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

type ConnectArgs = { dtlsParameters: types.DtlsParameters };

/** A send transport on the given router parameters, signaling to the local router. */
function createSendTransport(options: types.TransportOptions): Transport {
  const transport = session.device.createSendTransport(options);
  signalThroughLocalRouter(session, transport);
  return transport;
}

/** Every `event` the emitter emits from now on, by its first argument. */
function record<T>(emitter: object, event: string): T[] {
  const seen: T[] = [];
  (emitter as { on(event: string, listener: (arg: T) => void): void }).on(event, (arg: T) => {
    seen.push(arg);
  });
  return seen;
}

const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

test("transport.produceData() the first time moves connectionState from 'new' to 'connecting' to 'connected' with connectionstatechange events", async () => {
  const transport = await createTransport(session);
  const states = record<types.ConnectionState>(transport, 'connectionstatechange');

  await transport.produceData();
  await waitForState(transport, 'connected');

  expect(states).toEqual(['connecting', 'connected']);
  expect(transport.connectionState).toBe('connected');
});

test("transport 'connect' is emitted once, on the first produceData() and not on the second, with role 'client' and a sha-256 fingerprint for a router with role 'auto'", async () => {
  const params = await session.router.createWebRtcTransport();
  expect(params.dtlsParameters.role).toBe('auto');
  const transport = await createTransport(session);
  const connects = record<ConnectArgs>(transport, 'connect');
  expect(connects).toHaveLength(0);

  await openProducer(transport);
  expect(connects).toHaveLength(1);
  await openProducer(transport);

  expect(connects).toHaveLength(1);
  expect(connects[0]?.dtlsParameters.role).toBe('client');
  expect(connects[0]?.dtlsParameters.fingerprints).toHaveLength(1);
  expect(connects[0]?.dtlsParameters.fingerprints[0]?.algorithm).toBe('sha-256');
  expect(connects[0]?.dtlsParameters.fingerprints[0]?.value).toMatch(FINGERPRINT);
  expect(Object.keys(connects[0] ?? {})).toEqual(['dtlsParameters']);
  expect(Object.keys(connects[0]?.dtlsParameters ?? {}).sort()).toEqual(['fingerprints', 'role']);
});

test.each([
  ['server', 'client'],
  ['client', 'server'],
] as const)(
  "transport 'connect' for a router that says dtlsParameters.role '%s' gives role '%s' and the channel still delivers",
  async (routerRole, localRole) => {
    const params = await session.router.createWebRtcTransport();
    const transport = createSendTransport({
      ...params,
      dtlsParameters: { ...params.dtlsParameters, role: routerRole },
    });
    const connects = record<ConnectArgs>(transport, 'connect');

    const dataProducer = await openProducer(transport);
    dataProducer.send(`dtls ${localRole}`);
    const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

    expect(connects[0]?.dtlsParameters.role).toBe(localRole);
    expect(message?.data.toString()).toBe(`dtls ${localRole}`);
  },
);

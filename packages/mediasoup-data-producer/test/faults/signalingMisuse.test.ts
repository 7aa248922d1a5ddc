// An app's signaling that never answers, on the real router: produceData() rejects after
// signalingTimeout, a late answer changes nothing (it is only logged on
// mediasoup-data-producer:WARN:Transport), and the transport still connects and delivers
// afterwards. Every other signaling mistake (answers without an id, twice, after close) is
// tested on FakeHandler in test/unit/Transport.signaling.test.ts.
import {
  OperationError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import {
  expectError,
  ignored,
  record,
  WARN_TRANSPORT,
  type Recorded,
} from '@test-support/recording.js';
import { captureLog, type CapturedLog } from '@test-support/log.js';
import { captured, rejectionOf } from '@test-support/outcomes.js';
import { once, type Session, useSessionPerFile } from '@test-support/session.js';

jest.setTimeout(60000);

// One real router for the file; each test's transports are closed after it.
let session!: Session;
let log: CapturedLog;
useSessionPerFile((started) => (session = started));

beforeEach(() => {
  log = captureLog(WARN_TRANSPORT);
});

afterEach(() => {
  jest.useRealTimers();
  log.restore();
});

type ConnectArgs = types.TransportEvents['connect'];
type ProduceDataArgs = types.TransportEvents['producedata'];

/**
 * Lets whatever a late call could have set off run: every promise reaction queued by it runs
 * before a setImmediate callback. Not a delay: nothing here waits on a clock.
 */
async function settleReactions(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A transport on the local router with no signaling listeners: each test sets its own. */
async function bareTransport(client: Partial<types.TransportOptions> = {}): Promise<Transport> {
  const params = await session.router.createWebRtcTransport();
  const transport = session.device.createSendTransport({ ...params, ...client });
  session.transports.push(transport);
  return transport;
}

/** The `connect` listener a correct app has: it forwards to the router. */
function realConnect(transport: Transport): (...args: ConnectArgs) => void {
  return ({ dtlsParameters }, callback, errback) => {
    session.router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  };
}

/** The `producedata` listener a correct app has: it forwards to the router. */
function realProduceData(transport: Transport): (...args: ProduceDataArgs) => void {
  return (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(callback, errback);
  };
}

/** Proves the transport still works: a new producer opens and its message arrives. */
async function stillDelivers(transport: Transport): Promise<DataProducer> {
  const dataProducer = await produceProof(transport);
  await expectDelivers(dataProducer);
  return dataProducer;
}

/** Sets the listeners a correct app has and produces with them. */
async function produceProof(transport: Transport): Promise<DataProducer> {
  transport.removeAllListeners('producedata');
  transport.on('producedata', realProduceData(transport));
  if (transport.listenerCount('connect') === 0) transport.on('connect', realConnect(transport));
  return transport.produceData({ label: 'proof' });
}

/** `dataProducer` opens and its message reaches the router. */
async function expectDelivers(dataProducer: DataProducer): Promise<void> {
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
  dataProducer.send('proof');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe('proof');
  expect(message?.ppid).toBe(51);
  expect(dataProducer.label).toBe('proof');
  expect(session.router.hasDataProducer(dataProducer.id)).toBe(true);
}

/** `recorded` saw exactly these DataProducers created, in this order. */
function expectCreated(recorded: Recorded, ...dataProducers: DataProducer[]): void {
  expect(recorded.newDataProducers.map((p) => p.id)).toEqual(dataProducers.map((p) => p.id));
  dataProducers.forEach((p, i) => {
    expect(recorded.newDataProducers[i]).toBe(p);
  });
}

function count(events: string[], event: string): number {
  return events.filter((e) => e === event).length;
}

test('a connect that never answers rejects produceData() with OperationError after signalingTimeout; a late callback is logged and changes nothing, and the next produceData() connects again', async () => {
  const signalingTimeout = 500;
  const transport = await bareTransport({ signalingTimeout });
  const recorded = record(transport);
  let answer: (() => void) | undefined;
  transport.once('connect', (_parameters, callback) => {
    answer = callback; // never called in time
  });
  transport.on('producedata', realProduceData(transport));

  // (That it is not before the timeout is checked with fake timers in the 30000 ms test.)
  const error = await rejectionOf(transport.produceData());
  expectError(error, OperationError, `"connect" was not answered within ${signalingTimeout} ms`);
  expect(count(recorded.events, 'connect')).toBe(1);
  expect(count(recorded.events, 'producedata')).toBe(0);
  // The native peer is gathering ('connecting'), but without the router's answer it cannot
  // connect.
  const stateBefore = transport.connectionState;
  expect(stateBefore).not.toBe('connected');
  const before = [...recorded.events];
  expect(log.lines).toEqual([]);

  expect(() => {
    captured(answer, 'the connect callback')();
  }).not.toThrow();
  await settleReactions();

  expect(log.lines).toEqual([ignored('connect')]);
  // The late callback neither went on to producedata nor connected the transport.
  expect(recorded.events).toEqual(before);
  expect(transport.connectionState).toBe(stateBefore);
  expect(recorded.newDataProducers).toEqual([]);

  // The router was never told: the next produceData() emits connect again, answered this time.
  transport.on('connect', realConnect(transport));
  const proof = await produceProof(transport);
  expect(count(recorded.events, 'connect')).toBe(2);
  expect(count(recorded.events, 'producedata')).toBe(1);
  expectCreated(recorded, proof);
  await expectDelivers(proof);
  expect(log.lines).toEqual([ignored('connect')]);
});

test('a producedata that never answers rejects with OperationError after signalingTimeout; a late answer is logged and creates nothing, and the transport stays usable', async () => {
  const transport = await bareTransport({ signalingTimeout: 400 });
  const recorded = record(transport);
  transport.on('connect', realConnect(transport));
  let answer: ((result: { id: string }) => void) | undefined;
  transport.on('producedata', (_parameters, callback) => {
    answer = callback; // never called in time
  });

  const error = await rejectionOf(transport.produceData({ label: 'unanswered' }));

  expectError(error, OperationError, '"producedata" was not answered within 400 ms');
  const before = [...recorded.events];
  expect(log.lines).toEqual([]);
  expect(() => {
    captured(answer, 'the producedata callback')({ id: 'late' });
  }).not.toThrow();
  await settleReactions();
  expect(log.lines).toEqual([ignored('producedata')]);
  expect(recorded.events).toEqual(before);
  expect(recorded.newDataProducers).toEqual([]);

  const proof = await stillDelivers(transport);
  expect(proof.id).not.toBe('late');
  expectCreated(recorded, proof);
  expect(count(recorded.events, 'connect')).toBe(1);
});

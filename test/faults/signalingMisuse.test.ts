// An app's signaling that misbehaves: answers without an id, answers twice, answers after
// close or after signalingTimeout, or never answers. produceData() must settle with a typed
// error (never hang), no exception may escape, a late or repeated answer must change nothing
// (it is only logged on mediasoup-data-producer:WARN:Transport), and the transport must stay
// usable where it can.
import { format } from 'node:util';

import debug from 'debug';
import {
  InvalidStateError,
  OperationError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { rejectionOf } from '../support/outcomes.js';
import { once, openProducer, sleep, startSession, type Session } from '../support/session.js';

jest.setTimeout(60000);

const WARN_TRANSPORT = 'mediasoup-data-producer:WARN:Transport';

let session: Session;
let log: CapturedLog;

beforeEach(async () => {
  log = captureLog(WARN_TRANSPORT);
  session = await startSession();
});

afterEach(async () => {
  jest.useRealTimers();
  log.restore();
  await session.close();
});

type ConnectArgs = types.TransportEvents['connect'];
type ProduceDataArgs = types.TransportEvents['producedata'];
type ErrorClass = new (message: string) => Error;

/** The warning the library logs for each ignored late or repeated callback/errback call. */
function ignored(event: 'connect' | 'producedata'): string {
  return `"${event}" callback or errback called again or too late; ignored`;
}

interface CapturedLog {
  /** Each line logged on the captured namespace, formatted as console.warn would. */
  lines: string[];
  restore(): void;
}

/**
 * Enables `namespace` and records what it logs. The library's loggers write through their own
 * `log` function (console.warn), so `debug.log` never sees them; `debug.formatArgs` is called
 * for every line of every logger, with the logger as `this` and the arguments that `log` gets
 * (debug itself fills in only %o and %O), and is wrapped instead.
 */
function captureLog(namespace: string): CapturedLog {
  const previousNamespaces = debug.disable();
  debug.enable([previousNamespaces, namespace].filter(Boolean).join(','));
  const formatArgs = debug.formatArgs;
  const lines: string[] = [];
  debug.formatArgs = function (this: debug.Debugger, args: unknown[]): void {
    if (this.namespace === namespace) lines.push(format(...args));
    formatArgs.call(this, args);
  };
  return {
    lines,
    restore() {
      debug.formatArgs = formatArgs;
      debug.disable();
      if (previousNamespaces) debug.enable(previousNamespaces);
    },
  };
}

interface Recorded {
  /**
   * Every event the transport emitted, in order: its own (`connectionstatechange` with the
   * state) and its observer's (prefixed `observer:`).
   */
  events: string[];
  /** The DataProducers of the observer's `newdataproducer` events. */
  newDataProducers: DataProducer[];
}

/** Records what `transport` emits from now on, without adding listeners to it. */
function record(transport: Transport): Recorded {
  const recorded: Recorded = { events: [], newDataProducers: [] };
  tapEmit(transport, (event, args) => {
    recorded.events.push(event === 'connectionstatechange' ? `${event}:${String(args[0])}` : event);
  });
  tapEmit(transport.observer, (event, args) => {
    recorded.events.push(`observer:${event}`);
    if (event === 'newdataproducer') recorded.newDataProducers.push(args[0] as DataProducer);
  });
  return recorded;
}

/** Calls `onEmit` for each event `emitter` emits, before its listeners run. */
function tapEmit(emitter: object, onEmit: (event: string, args: unknown[]) => void): void {
  const target = emitter as { emit: (event: string, ...args: unknown[]) => boolean };
  const emit = target.emit.bind(target);
  jest.spyOn(target, 'emit').mockImplementation((event, ...args) => {
    onEmit(event, args);
    return emit(event, ...args);
  });
}

/** `error` is exactly an instance of `errorClass` (not a subclass) with that message. */
function expectError(error: unknown, errorClass: ErrorClass, message: string): void {
  expect(error).toBeInstanceOf(errorClass);
  expect((error as Error).constructor).toBe(errorClass);
  expect((error as Error).message).toBe(message);
}

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

describe('producedata callback without a valid id', () => {
  test.each([
    ['callback()', undefined],
    ['callback(null)', null],
    ['callback({})', {}],
    ["callback({ id: '' })", { id: '' }],
    ['callback({ id: 42 })', { id: 42 }],
    ["callback('id')", 'id'],
  ])(
    '%s rejects produceData() with TypeError, creates no producer, and the transport stays usable',
    async (_name, result) => {
      const transport = await bareTransport();
      const recorded = record(transport);
      transport.on('connect', realConnect(transport));
      transport.on('producedata', (_parameters, callback) => {
        (callback as (result: unknown) => void)(result);
      });

      const error = await rejectionOf(transport.produceData());

      expectError(error, TypeError, 'the producedata callback must be called with { id: string }');
      expect(recorded.newDataProducers).toEqual([]);
      const proof = await stillDelivers(transport);
      expectCreated(recorded, proof);
      // An invalid first answer is not a late one: nothing was ignored.
      expect(log.lines).toEqual([]);
    },
  );
});

test('connect and producedata callbacks called twice: the second call is ignored with a warning, produceData() resolves once with the first id', async () => {
  const transport = await bareTransport();
  const recorded = record(transport);
  const routerIds: string[] = [];
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    session.router.connect(transport.id, { dtlsParameters }).then(() => {
      callback();
      callback();
    }, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(({ id }) => {
      routerIds.push(id);
      callback({ id });
      callback({ id: 'second-id' });
    }, errback);
  });

  const dataProducer = await openProducer(transport);

  expect(count(recorded.events, 'connect')).toBe(1);
  expect(count(recorded.events, 'producedata')).toBe(1);
  expect(routerIds).toHaveLength(1);
  expect(dataProducer.id).toBe(routerIds[0]);
  expectCreated(recorded, dataProducer);
  // Both second calls came synchronously after the first, before produceData() resolved.
  expect(log.lines).toEqual([ignored('connect'), ignored('producedata')]);
  dataProducer.send('once');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe('once');
  expect(recorded.newDataProducers).toHaveLength(1);
});

test('errback after callback is ignored with a warning: produceData() resolves and the producer works', async () => {
  const transport = await bareTransport();
  const recorded = record(transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    session.router.connect(transport.id, { dtlsParameters }).then(() => {
      callback();
      errback(new Error('late connect error'));
    }, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(({ id }) => {
      callback({ id });
      errback(new Error('late producedata error'));
    }, errback);
  });

  const dataProducer = await openProducer(transport);

  expect(log.lines).toEqual([ignored('connect'), ignored('producedata')]);
  expectCreated(recorded, dataProducer);
  expect(dataProducer.closed).toBe(false);
  expect(dataProducer.readyState).toBe('open');
  dataProducer.send('fine');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe('fine');
});

test('callback after errback is ignored with a warning: produceData() rejects with the errback error, and a non-Error errback value becomes an Error', async () => {
  const transport = await bareTransport();
  const recorded = record(transport);
  transport.on('connect', realConnect(transport));
  const answers: (() => void)[] = [];
  transport.on('producedata', (_parameters, callback, errback) => {
    answers.push(() => {
      (errback as (error: unknown) => void)('refused by the server');
      callback({ id: 'too-late' });
    });
  });

  const pending = transport.produceData();
  await waitFor(() => answers.length === 1);
  answers[0]?.();
  const error = await rejectionOf(pending);

  expectError(error, Error, 'refused by the server');
  expect(log.lines).toEqual([ignored('producedata')]);
  expect(recorded.newDataProducers).toEqual([]);
  const proof = await stillDelivers(transport);
  expect(proof.id).not.toBe('too-late');
  expectCreated(recorded, proof);
});

test('callbacks after transport.close(): produceData() rejects with InvalidStateError, the late callback and errback change nothing and are logged', async () => {
  const transport = await bareTransport();
  const recorded = record(transport);
  const late: { connect?: ConnectArgs; producedata?: ProduceDataArgs } = {};
  transport.on('connect', (...args) => {
    late.connect = args;
  });
  transport.on('producedata', (...args) => {
    late.producedata = args;
  });

  const pending = transport.produceData();
  await waitFor(() => late.connect !== undefined);
  transport.close();
  expectError(await rejectionOf(pending), InvalidStateError, 'transport closed');
  const before = [...recorded.events];
  expect(count(before, 'observer:close')).toBe(1);
  expect(log.lines).toEqual([]);

  expect(() => {
    late.connect?.[1]();
    late.connect?.[2](new Error('late'));
  }).not.toThrow();
  await settleReactions();

  expect(log.lines).toEqual([ignored('connect'), ignored('connect')]);
  // The late callback did not carry the closed transport on to producedata, nor anything else.
  expect(late.producedata).toBeUndefined();
  expect(recorded.events).toEqual(before);
  expect(recorded.newDataProducers).toEqual([]);
  expect(transport.closed).toBe(true);
  expect(transport.connectionState).toBe('closed');
  expectError(await rejectionOf(transport.produceData()), InvalidStateError, 'transport is closed');
});

test('producedata answered after transport.close(), with the id of the DataProducer the router made: produceData() rejects with InvalidStateError, the late answer creates nothing and is logged', async () => {
  const transport = await bareTransport();
  const recorded = record(transport);
  transport.on('connect', realConnect(transport));
  let answer: (() => void) | undefined;
  transport.on('producedata', (parameters, callback, errback) => {
    // The router has made its DataProducer, but the app's answer comes too late.
    session.router.produceData(transport.id, parameters).then(({ id }) => {
      answer = () => {
        callback({ id });
      };
    }, errback);
  });

  const pending = transport.produceData();
  await waitFor(() => answer !== undefined);
  transport.close();
  expectError(await rejectionOf(pending), InvalidStateError, 'transport closed');
  const before = [...recorded.events];
  expect(log.lines).toEqual([]);

  expect(() => answer?.()).not.toThrow();
  await settleReactions();

  expect(log.lines).toEqual([ignored('producedata')]);
  expect(recorded.events).toEqual(before);
  expect(recorded.newDataProducers).toEqual([]);
  expect(transport.connectionState).toBe('closed');
});

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

  expect(() => answer?.()).not.toThrow();
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
  expect(() => answer?.({ id: 'late' })).not.toThrow();
  await settleReactions();
  expect(log.lines).toEqual([ignored('producedata')]);
  expect(recorded.events).toEqual(before);
  expect(recorded.newDataProducers).toEqual([]);

  const proof = await stillDelivers(transport);
  expect(proof.id).not.toBe('late');
  expectCreated(recorded, proof);
  expect(count(recorded.events, 'connect')).toBe(1);
});

test('a connect listener that throws: no exception escapes, produceData() rejects with OperationError after signalingTimeout', async () => {
  const transport = await bareTransport({ signalingTimeout: 300 });
  const recorded = record(transport);
  transport.on('connect', () => {
    throw new Error('bug in the app');
  });
  transport.on('producedata', realProduceData(transport));

  expectError(
    await rejectionOf(transport.produceData()),
    OperationError,
    '"connect" was not answered within 300 ms',
  );
  expect(count(recorded.events, 'producedata')).toBe(0);
  expect(recorded.newDataProducers).toEqual([]);
});

test('without a connect or producedata listener, produceData() rejects with TypeError at once', async () => {
  const transport = await bareTransport();
  const recorded = record(transport);
  expectError(
    await rejectionOf(transport.produceData()),
    TypeError,
    'no "connect" listener set on this transport',
  );
  transport.on('connect', realConnect(transport));
  expectError(
    await rejectionOf(transport.produceData()),
    TypeError,
    'no "producedata" listener set on this transport',
  );
  // Refused up front: nothing was emitted, not even connect.
  expect(recorded.events).toEqual([]);
});

test('signalingTimeout defaults to 30000 ms: an unanswered connect rejects produceData() with OperationError at 30 s, not before', async () => {
  const transport = await bareTransport();
  let connectEmitted = false;
  transport.on('connect', () => {
    connectEmitted = true; // never answered
  });
  transport.on('producedata', realProduceData(transport));
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });

  let outcome: unknown;
  transport.produceData().then(
    () => (outcome = 'resolved'),
    (error: unknown) => (outcome = error),
  );
  // Timers are fake: wait on setImmediate, which is not.
  const emitted = (): boolean => connectEmitted;
  while (!emitted()) await new Promise((resolve) => setImmediate(resolve));
  await jest.advanceTimersByTimeAsync(29999);
  expect(outcome).toBeUndefined();
  await jest.advanceTimersByTimeAsync(1);
  expect(outcome).toEqual(new OperationError('"connect" was not answered within 30000 ms'));
  expect(outcome).toBeInstanceOf(OperationError);
  jest.useRealTimers();
});

test('many producers waiting on one unanswered connect all reject with typed errors when the transport closes, none hangs', async () => {
  const transport = await bareTransport();
  transport.on('connect', () => undefined);
  transport.on('producedata', realProduceData(transport));

  const pending = Array.from({ length: 20 }, (_, i) =>
    transport.produceData({ label: `p${i}` }).then(
      () => 'resolved',
      (error: unknown) => (error as Error).name,
    ),
  );
  await sleep(200);
  transport.close();
  const outcomes = await Promise.all(pending);

  expect(new Set(outcomes)).toEqual(new Set(['InvalidStateError']));
});

async function waitFor(predicate: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(5);
  }
}

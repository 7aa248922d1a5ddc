// An app's signaling that misbehaves: answers without an id, answers twice, answers after
// close, or never answers. produceData() must settle with a typed error (never hang), no
// exception may escape, and the transport must stay usable where it can.
import {
  InvalidStateError,
  OperationError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { startSession, type Session, openProducer, sleep } from '../support/session.js';

jest.setTimeout(60000);

let session: Session;

beforeEach(async () => {
  session = await startSession();
});

afterEach(async () => {
  jest.useRealTimers();
  await session.close();
});

type ConnectArgs = types.TransportEvents['connect'];
type ProduceDataArgs = types.TransportEvents['producedata'];

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
  transport.removeAllListeners('producedata');
  transport.on('producedata', realProduceData(transport));
  if (transport.listenerCount('connect') === 0) transport.on('connect', realConnect(transport));
  const dataProducer = await openProducer(transport, { label: 'proof' });
  dataProducer.send('proof');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe('proof');
  return dataProducer;
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
    '%s rejects produceData() with TypeError and the transport stays usable',
    async (_name, result) => {
      const transport = await bareTransport();
      transport.on('connect', realConnect(transport));
      transport.on('producedata', (_parameters, callback) => {
        (callback as (result: unknown) => void)(result);
      });

      await expect(transport.produceData()).rejects.toThrow(
        new TypeError('the producedata callback must be called with { id: string }'),
      );
      await stillDelivers(transport);
    },
  );
});

test('connect and producedata callbacks called twice: the second call is ignored, produceData() resolves once with the first id', async () => {
  const transport = await bareTransport();
  let connects = 0;
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    connects++;
    session.router.connect(transport.id, { dtlsParameters }).then(() => {
      callback();
      callback();
    }, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(({ id }) => {
      callback({ id });
      callback({ id: 'second-id' });
    }, errback);
  });

  const dataProducer = await openProducer(transport);

  expect(connects).toBe(1);
  expect(dataProducer.id).not.toBe('second-id');
  expect(session.router.hasDataProducer(dataProducer.id)).toBe(true);
  dataProducer.send('once');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
});

test('errback after callback is ignored: produceData() resolves and the producer works', async () => {
  const transport = await bareTransport();
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
  dataProducer.send('fine');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
});

test('callback after errback is ignored: produceData() rejects with the errback error, and a non-Error errback value becomes an Error', async () => {
  const transport = await bareTransport();
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
  await expect(pending).rejects.toThrow(new Error('refused by the server'));
  await stillDelivers(transport);
});

test('callbacks after transport.close(): produceData() rejects with InvalidStateError, the late callback and errback throw nothing', async () => {
  const transport = await bareTransport();
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
  await expect(pending).rejects.toThrow(new InvalidStateError('transport closed'));

  expect(() => {
    late.connect?.[1]();
    late.connect?.[2](new Error('late'));
  }).not.toThrow();
  expect(late.producedata).toBeUndefined();
  await expect(transport.produceData()).rejects.toThrow(
    new InvalidStateError('transport is closed'),
  );
});

test('producedata answered after transport.close(): produceData() rejects with InvalidStateError and the late answer throws nothing', async () => {
  const transport = await bareTransport();
  transport.on('connect', realConnect(transport));
  let answer: ((result: { id: string }) => void) | undefined;
  transport.on('producedata', (_parameters, callback) => {
    answer = callback;
  });

  const pending = transport.produceData();
  await waitFor(() => answer !== undefined);
  transport.close();
  await expect(pending).rejects.toThrow(InvalidStateError);
  expect(() => {
    answer?.({ id: 'late' });
  }).not.toThrow();
});

test('a connect that never answers rejects produceData() with OperationError after signalingTimeout; a late callback is ignored and the next produceData() connects again', async () => {
  const signalingTimeout = 500;
  const transport = await bareTransport({ signalingTimeout });
  let answer: (() => void) | undefined;
  transport.once('connect', (_parameters, callback) => {
    answer = callback; // never called in time
  });
  transport.on('producedata', realProduceData(transport));

  const start = Date.now();
  await expect(transport.produceData()).rejects.toThrow(
    new OperationError(`"connect" was not answered within ${signalingTimeout} ms`),
  );
  const elapsed = Date.now() - start;
  expect(elapsed).toBeGreaterThanOrEqual(signalingTimeout - 20);
  expect(elapsed).toBeLessThan(signalingTimeout + 3000);
  expect(() => answer?.()).not.toThrow();

  // The router was never told: the next produceData() emits connect again, answered this time.
  transport.on('connect', realConnect(transport));
  await stillDelivers(transport);
});

test('a producedata that never answers rejects with OperationError after signalingTimeout and the transport stays usable', async () => {
  const transport = await bareTransport({ signalingTimeout: 400 });
  transport.on('connect', realConnect(transport));
  transport.on('producedata', () => undefined);

  await expect(transport.produceData()).rejects.toThrow(
    new OperationError('"producedata" was not answered within 400 ms'),
  );
  await stillDelivers(transport);
});

test('a connect listener that throws: no exception escapes, produceData() rejects with OperationError after signalingTimeout', async () => {
  const transport = await bareTransport({ signalingTimeout: 300 });
  transport.on('connect', () => {
    throw new Error('bug in the app');
  });
  transport.on('producedata', realProduceData(transport));

  await expect(transport.produceData()).rejects.toThrow(OperationError);
});

test('without a connect or producedata listener, produceData() rejects with TypeError at once', async () => {
  const transport = await bareTransport();
  await expect(transport.produceData()).rejects.toThrow(TypeError);
  transport.on('connect', realConnect(transport));
  await expect(transport.produceData()).rejects.toThrow(TypeError);
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

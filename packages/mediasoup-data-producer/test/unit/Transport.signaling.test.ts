// The `connect` and `producedata` events and an app's signaling mistakes, on FakeHandler:
// answers without an id, twice, after close or after signalingTimeout, or never.
// produceData() must settle with a typed error (never hang), a late or repeated answer must
// change nothing (it is only logged on mediasoup-data-producer:WARN:Transport), and the
// transport must stay usable where it can. Time runs on jest's fake clock where it matters.
import {
  InvalidStateError,
  OperationError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { FAKE_FINGERPRINT } from '../../src/handlers/FakeHandler.js';
import { expectError, ignored, record, WARN_TRANSPORT } from '@test-support/recording.js';
import { captureLog, type CapturedLog } from '@test-support/log.js';
import { captured } from '@test-support/outcomes.js';
import {
  useFakeApps,
  fakeApp,
  rejectionOf,
  routerTransportParameters,
  turns,
  type FakeApp,
} from '@test-support/fakeSession.js';

let log: CapturedLog;

beforeEach(() => {
  log = captureLog(WARN_TRANSPORT);
});

afterEach(() => {
  jest.useRealTimers();
  log.restore();
});

useFakeApps();

type ConnectArgs = types.TransportEvents['connect'];
type ProduceDataArgs = types.TransportEvents['producedata'];

function useFakeTimers(): void {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
}

function count(events: string[], event: string): number {
  return events.filter((e) => e === event).length;
}

/** A transport on FakeHandler without signaling listeners: each test sets its own. */
async function bareApp(client: Partial<types.TransportOptions> = {}): Promise<FakeApp> {
  return fakeApp({ client, answer: false });
}

/** The `connect` listener a correct app has: it answers at once. */
function goodConnect(...[, callback]: ConnectArgs): void {
  callback();
}

/** A `producedata` listener that answers at once with ids `router-1`, `router-2`, ... */
function goodProduceData(): (...args: ProduceDataArgs) => void {
  let produced = 0;
  return (_parameters, callback) => {
    produced++;
    callback({ id: `router-${produced}` });
  };
}

/** Sets the listeners a correct app has and produces with them: the transport still works. */
async function produceProof(transport: Transport): Promise<DataProducer> {
  transport.removeAllListeners('producedata');
  transport.on('producedata', goodProduceData());
  if (transport.listenerCount('connect') === 0) transport.on('connect', goodConnect);
  return transport.produceData({ label: 'proof' });
}

describe("'connect'", () => {
  test("transport 'connect' is emitted once, on the first produceData() only, with exactly { dtlsParameters: { role: 'client', fingerprints: [our sha-256] } } for a router with role 'auto'", async () => {
    const app = await fakeApp();

    await app.transport.produceData();
    await app.transport.produceData();

    expect(app.connects).toEqual([
      { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: FAKE_FINGERPRINT }] },
    ]);
  });

  test.each([
    ['server', 'client'],
    ['client', 'server'],
  ] as const)(
    "transport 'connect' for a router whose dtlsParameters.role is '%s' gives role '%s'",
    async (routerRole, localRole) => {
      const params = routerTransportParameters();
      const app = await fakeApp({
        client: { dtlsParameters: { ...params.dtlsParameters, role: routerRole } },
      });

      await app.transport.produceData();

      expect(app.connects.map((d) => d.role)).toEqual([localRole]);
    },
  );

  test('transport.produceData() whose connect errback is called rejects with that error; the next produceData() emits connect again with the same parameters and resolves', async () => {
    const app = await bareApp();
    const refused = new Error('cannot connect now');
    const connects: types.DtlsParameters[] = [];
    app.transport.once('connect', ({ dtlsParameters }, _callback, errback) => {
      connects.push(dtlsParameters);
      errback(refused);
    });
    app.transport.on('producedata', goodProduceData());

    const error = await rejectionOf(app.transport.produceData());
    const stateAfterRefusal = app.transport.connectionState;
    app.transport.on('connect', ({ dtlsParameters }, callback) => {
      connects.push(dtlsParameters);
      callback();
    });
    const dataProducer = await app.transport.produceData();

    expect(error).toBe(refused);
    expect(stateAfterRefusal).toBe('new');
    expect(connects).toHaveLength(2);
    expect(connects[1]).toEqual(connects[0]);
    expect(dataProducer.id).toBe('router-1');
  });

  test('transport.produceData() whose connect and producedata callbacks are called twice resolves once with the first id; each second call is ignored with a warning', async () => {
    const app = await bareApp();
    const recorded = record(app.transport);
    app.transport.on('connect', (_parameters, callback) => {
      callback();
      callback();
    });
    app.transport.on('producedata', (_parameters, callback) => {
      callback({ id: 'first-id' });
      callback({ id: 'second-id' });
    });

    const dataProducer = await app.transport.produceData();
    await turns();

    expect(dataProducer.id).toBe('first-id');
    expect(recorded.newDataProducers).toEqual([dataProducer]);
    expect(count(recorded.events, 'connect')).toBe(1);
    expect(count(recorded.events, 'producedata')).toBe(1);
    expect(log.lines).toEqual([ignored('connect'), ignored('producedata')]);
  });

  test('transport.produceData() whose connect and producedata get an errback after the callback resolves, and each errback is ignored with a warning', async () => {
    const app = await bareApp();
    const recorded = record(app.transport);
    app.transport.on('connect', (_parameters, callback, errback) => {
      callback();
      errback(new Error('late connect error'));
    });
    app.transport.on('producedata', (_parameters, callback, errback) => {
      callback({ id: 'fine' });
      errback(new Error('late producedata error'));
    });

    const dataProducer = await app.transport.produceData();
    await turns();

    expect(dataProducer.closed).toBe(false);
    expect(dataProducer.readyState).toBe('open');
    expect(recorded.newDataProducers).toEqual([dataProducer]);
    expect(log.lines).toEqual([ignored('connect'), ignored('producedata')]);
  });

  test('transport.produceData() whose connect listener throws rejects with OperationError after signalingTimeout, emits no producedata, and no exception escapes', async () => {
    useFakeTimers();
    const app = await bareApp({ signalingTimeout: 300 });
    const recorded = record(app.transport);
    app.transport.on('connect', () => {
      throw new Error('bug in the app');
    });
    app.transport.on('producedata', goodProduceData());

    const result = rejectionOf(app.transport.produceData());
    await jest.advanceTimersByTimeAsync(300);

    expectError(await result, OperationError, '"connect" was not answered within 300 ms');
    expect(count(recorded.events, 'producedata')).toBe(0);
    expect(recorded.newDataProducers).toEqual([]);
  });
});

describe("'producedata'", () => {
  test("transport 'producedata' gets exactly { sctpStreamParameters, label, protocol, appData } for each produceData()", async () => {
    const app = await fakeApp();

    await app.transport.produceData();
    await app.transport.produceData({
      label: 'chat',
      protocol: 'json',
      maxPacketLifeTime: 100,
      appData: { user: 1 },
    });
    await app.transport.produceData({ ordered: false, maxRetransmits: 2 });

    expect(app.produced.map((p) => p.parameters)).toEqual([
      {
        sctpStreamParameters: { streamId: 0, ordered: true },
        label: '',
        protocol: '',
        appData: {},
      },
      {
        sctpStreamParameters: { streamId: 1, ordered: false, maxPacketLifeTime: 100 },
        label: 'chat',
        protocol: 'json',
        appData: { user: 1 },
      },
      {
        sctpStreamParameters: { streamId: 2, ordered: false, maxRetransmits: 2 },
        label: '',
        protocol: '',
        appData: {},
      },
    ]);
  });

  test('transport.observer emits newdataproducer with the DataProducer that produceData() resolves with, its id set, before produceData() resolves', async () => {
    const app = await fakeApp();
    const seen: [DataProducer, string][] = [];
    let resolved = false;
    app.transport.observer.on('newdataproducer', (dataProducer: DataProducer) => {
      seen.push([dataProducer, resolved ? 'after' : 'before']);
    });

    const dataProducer = await app.transport.produceData({ label: 'observed' });
    resolved = true;

    expect(seen).toEqual([[dataProducer, 'before']]);
    expect(dataProducer.id).toBe('router-data-producer-1');
  });

  test.each([
    ['callback()', undefined],
    ['callback(null)', null],
    ['callback({})', {}],
    ["callback({ id: '' })", { id: '' }],
    ['callback({ id: 42 })', { id: 42 }],
    ["callback('id')", 'id'],
  ])(
    'transport.produceData() whose producedata gets %s rejects with TypeError, creates no producer, logs nothing, and the next produceData() resolves',
    async (_name, result) => {
      const app = await bareApp();
      const recorded = record(app.transport);
      app.transport.on('connect', goodConnect);
      app.transport.on('producedata', (_parameters, callback) => {
        (callback as (result: unknown) => void)(result);
      });

      const error = await rejectionOf(app.transport.produceData());
      const proof = await produceProof(app.transport);

      expectError(error, TypeError, 'the producedata callback must be called with { id: string }');
      expect(recorded.newDataProducers).toEqual([proof]);
      expect(proof.sctpStreamParameters.streamId).toBe(1);
      // An invalid first answer is not a late one: nothing was ignored.
      expect(log.lines).toEqual([]);
    },
  );

  test('transport.produceData() whose producedata errback is called rejects with that error, and the next produceData() takes the next stream id', async () => {
    const app = await bareApp();
    app.transport.on('connect', goodConnect);
    const refused = new Error('the server said no');
    const streamIds: number[] = [];
    app.transport.once('producedata', ({ sctpStreamParameters }, _callback, errback) => {
      streamIds.push(sctpStreamParameters.streamId);
      errback(refused);
    });

    const error = await rejectionOf(app.transport.produceData({ label: 'refused' }));
    const next = await produceProof(app.transport);

    expect(error).toBe(refused);
    expect(streamIds).toEqual([0]);
    expect(next.sctpStreamParameters.streamId).toBe(1);
  });

  test('transport.produceData() whose producedata gets a callback after the errback rejects with the errback error, a non-Error value becoming an Error; the callback is ignored with a warning', async () => {
    const app = await bareApp();
    const recorded = record(app.transport);
    app.transport.on('connect', goodConnect);
    app.transport.on('producedata', (_parameters, callback, errback) => {
      (errback as (error: unknown) => void)('refused by the server');
      callback({ id: 'too-late' });
    });

    const error = await rejectionOf(app.transport.produceData());
    const proof = await produceProof(app.transport);

    expectError(error, Error, 'refused by the server');
    expect(log.lines).toEqual([ignored('producedata')]);
    expect(proof.id).not.toBe('too-late');
    expect(recorded.newDataProducers).toEqual([proof]);
  });
});

describe('answers after transport.close()', () => {
  test('transport.produceData() waiting for connect rejects with InvalidStateError at close(); a late callback and errback change nothing and are logged', async () => {
    const app = await bareApp();
    const recorded = record(app.transport);
    const late: { connect?: ConnectArgs; producedata?: ProduceDataArgs } = {};
    app.transport.on('connect', (...args) => {
      late.connect = args;
    });
    app.transport.on('producedata', (...args) => {
      late.producedata = args;
    });

    const pending = rejectionOf(app.transport.produceData());
    await turns();
    app.transport.close();
    expectError(await pending, InvalidStateError, 'transport is closed');
    const before = [...recorded.events];
    expect(count(before, 'observer:close')).toBe(1);
    expect(log.lines).toEqual([]);

    const [, callback, errback] = captured(late.connect, 'the connect arguments');
    expect(() => {
      callback();
      errback(new Error('late'));
    }).not.toThrow();
    await turns();

    expect(log.lines).toEqual([ignored('connect'), ignored('connect')]);
    // The late callback did not carry the closed transport on to producedata, nor anything else.
    expect(late.producedata).toBeUndefined();
    expect(recorded.events).toEqual(before);
    expect(recorded.newDataProducers).toEqual([]);
    expect(app.transport.connectionState).toBe('closed');
    expect(app.handler.closed).toBe(true);
    expectError(
      await rejectionOf(app.transport.produceData()),
      InvalidStateError,
      'transport is closed',
    );
  });

  test('transport.produceData() waiting for producedata rejects with InvalidStateError at close(); the late answer creates nothing and is logged', async () => {
    const app = await bareApp();
    const recorded = record(app.transport);
    app.transport.on('connect', goodConnect);
    let answer: (() => void) | undefined;
    app.transport.on('producedata', (_parameters, callback) => {
      answer = () => {
        callback({ id: 'made-too-late' });
      };
    });

    const pending = rejectionOf(app.transport.produceData());
    await turns();
    app.transport.close();
    expectError(await pending, InvalidStateError, 'transport is closed');
    const before = [...recorded.events];
    expect(log.lines).toEqual([]);

    expect(() => {
      captured(answer, 'the producedata answer')();
    }).not.toThrow();
    await turns();

    expect(log.lines).toEqual([ignored('producedata')]);
    expect(recorded.events).toEqual(before);
    expect(recorded.newDataProducers).toEqual([]);
  });

  test('transport.produceData() whose producedata is answered and close() follows at once rejects with InvalidStateError and creates no producer', async () => {
    const app = await bareApp();
    const recorded = record(app.transport);
    app.transport.on('connect', goodConnect);
    app.transport.on('producedata', (_parameters, callback) => {
      callback({ id: 'answered' });
      app.transport.close();
    });

    const error = await rejectionOf(app.transport.produceData());

    expectError(error, InvalidStateError, 'transport is closed');
    expect(recorded.newDataProducers).toEqual([]);
    expect(log.lines).toEqual([]);
  });

  test('transport.produceData() of 20 producers waiting on one unanswered connect all reject with InvalidStateError when the transport closes; none hangs', async () => {
    const app = await bareApp();
    app.transport.on('connect', () => undefined);
    app.transport.on('producedata', goodProduceData());

    const pending = Array.from({ length: 20 }, (_, i) =>
      rejectionOf(app.transport.produceData({ label: `p${i}` })),
    );
    await turns();
    app.transport.close();
    const errors = await Promise.all(pending);

    // The one waiting for connect and the 19 queued behind it: one message for one state.
    expect(errors).toEqual(
      Array.from({ length: 20 }, () => new InvalidStateError('transport is closed')),
    );
  });
});

describe('signalingTimeout', () => {
  test('transport.produceData() whose connect is never answered rejects with OperationError at signalingTimeout, not before; a late callback is logged and changes nothing, and the next produceData() emits connect again', async () => {
    useFakeTimers();
    const app = await bareApp({ signalingTimeout: 500 });
    const recorded = record(app.transport);
    let answer: (() => void) | undefined;
    app.transport.once('connect', (_parameters, callback) => {
      answer = callback; // never called in time
    });
    app.transport.on('producedata', goodProduceData());

    const result = rejectionOf(app.transport.produceData());
    await jest.advanceTimersByTimeAsync(499);
    expect(recorded.events).toEqual(['connect']);
    await jest.advanceTimersByTimeAsync(1);
    expectError(await result, OperationError, '"connect" was not answered within 500 ms');
    const before = [...recorded.events];

    expect(() => {
      captured(answer, 'the connect callback')();
    }).not.toThrow();
    await turns();
    expect(log.lines).toEqual([ignored('connect')]);
    // The late callback neither went on to producedata nor connected the transport.
    expect(recorded.events).toEqual(before);
    expect(app.transport.connectionState).toBe('new');

    app.transport.on('connect', goodConnect);
    const proof = await produceProof(app.transport);
    expect(count(recorded.events, 'connect')).toBe(2);
    expect(recorded.newDataProducers).toEqual([proof]);
    expect(log.lines).toEqual([ignored('connect')]);
  });

  test('transport.produceData() whose producedata is never answered rejects with OperationError at signalingTimeout; a late answer is logged and creates nothing, and the next produceData() takes the next stream id', async () => {
    useFakeTimers();
    const app = await bareApp({ signalingTimeout: 400 });
    const recorded = record(app.transport);
    app.transport.on('connect', goodConnect);
    let answer: ((result: { id: string }) => void) | undefined;
    app.transport.on('producedata', (_parameters, callback) => {
      answer = callback; // never called in time
    });

    let settled = false;
    const result = rejectionOf(app.transport.produceData({ label: 'unanswered' })).finally(() => {
      settled = true;
    });
    await jest.advanceTimersByTimeAsync(399);
    const settledEarly = settled;
    await jest.advanceTimersByTimeAsync(1);
    expectError(await result, OperationError, '"producedata" was not answered within 400 ms');
    expect(settledEarly).toBe(false);
    const before = [...recorded.events];
    expect(() => {
      captured(answer, 'the producedata callback')({ id: 'late' });
    }).not.toThrow();
    await turns();

    expect(log.lines).toEqual([ignored('producedata')]);
    expect(recorded.events).toEqual(before);
    expect(recorded.newDataProducers).toEqual([]);
    const proof = await produceProof(app.transport);
    expect(proof.id).not.toBe('late');
    expect(proof.sctpStreamParameters.streamId).toBe(1);
    expect(count(recorded.events, 'connect')).toBe(1);
  });

  test('transport.produceData() answered 1 ms before signalingTimeout resolves', async () => {
    useFakeTimers();
    const app = await bareApp({ signalingTimeout: 300 });
    app.transport.on('connect', (_parameters, callback) => {
      setTimeout(callback, 299);
    });
    app.transport.on('producedata', (_parameters, callback) => {
      setTimeout(() => {
        callback({ id: 'just in time' });
      }, 299);
    });

    const result = app.transport.produceData();
    await jest.advanceTimersByTimeAsync(299);
    await jest.advanceTimersByTimeAsync(299);

    expect((await result).id).toBe('just in time');
    expect(log.lines).toEqual([]);
  });

  test('transport.produceData() with the default signalingTimeout rejects an unanswered connect with OperationError at 30000 ms, not before', async () => {
    useFakeTimers();
    const app = await bareApp();
    app.transport.on('connect', () => undefined);
    app.transport.on('producedata', goodProduceData());

    let outcome: unknown;
    app.transport.produceData().then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await jest.advanceTimersByTimeAsync(29999);
    expect(outcome).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);

    expectError(outcome, OperationError, '"connect" was not answered within 30000 ms');
  });
});

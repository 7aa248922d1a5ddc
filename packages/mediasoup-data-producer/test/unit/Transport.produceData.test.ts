// produceData()'s guards, their order and its options, on FakeHandler: no router needed.
import {
  InvalidStateError,
  OperationError,
  UnsupportedError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { useFakeApps, fakeApp, rejectionOf, turns } from '@test-support/fakeSession.js';

useFakeApps();

/** A transport on FakeHandler whose app answers connect and producedata at once. */
async function createTransport(
  options: { client?: Partial<types.TransportOptions> } = {},
): Promise<Transport> {
  return (await fakeApp(options)).transport;
}

/** A transport with no listeners: the guards see it as the user left it. */
async function bareTransport(options: Partial<types.TransportOptions> = {}): Promise<Transport> {
  return (await fakeApp({ client: options, answer: false })).transport;
}

function produceWith(transport: Transport, options: unknown): Promise<unknown> {
  return transport.produceData(options as types.DataProducerOptions);
}

/** Every `producedata` of the transport from now on. */
function recordProduceData(transport: Transport): types.ProduceDataParameters[] {
  const seen: types.ProduceDataParameters[] = [];
  transport.on('producedata', (parameters) => seen.push(parameters));
  return seen;
}

/** An object that is not a plain one. */
class NotPlain {
  readonly kind = 'not plain';
}

const BAD_ARGUMENTS = { maxRetransmits: -1, label: 5 };

describe('transport.produceData() guards', () => {
  test('transport.produceData() on a closed transport rejects with InvalidStateError', async () => {
    const transport = await createTransport();
    transport.close();

    await expect(transport.produceData()).rejects.toThrow(InvalidStateError);
  });

  test('transport.produceData() on a transport without sctpParameters rejects with UnsupportedError', async () => {
    const transport = await createTransport({ client: { sctpParameters: undefined } });

    await expect(transport.produceData()).rejects.toThrow(UnsupportedError);
    await expect(transport.produceData()).rejects.toThrow(/sctpParameters/);
  });

  test("transport.produceData() without a 'producedata' listener rejects with TypeError", async () => {
    const transport = await bareTransport();
    transport.on('connect', (_parameters, callback) => {
      callback();
    });

    await expect(transport.produceData()).rejects.toThrow(TypeError);
    await expect(transport.produceData()).rejects.toThrow(/"producedata" listener/);
  });

  test("transport.produceData() without a 'connect' listener while connectionState is 'new' rejects with TypeError", async () => {
    const transport = await bareTransport();
    transport.on('producedata', (_parameters, callback) => {
      callback({ id: 'never' });
    });

    await expect(transport.produceData()).rejects.toThrow(TypeError);
    await expect(transport.produceData()).rejects.toThrow(/"connect" listener/);
  });

  test("transport.produceData() without a 'connect' listener once connected resolves", async () => {
    const transport = await createTransport();
    await transport.produceData();
    transport.removeAllListeners('connect');

    const second = await transport.produceData();

    expect(second.sctpStreamParameters.streamId).toBe(1);
  });

  test('transport.produceData() guards run in order: closed, failed, no SCTP, no connect listener, no producedata listener, then arguments', async () => {
    // Each transport fails every check from its own on: only the first may decide the error.
    const failedThenClosed = await bareTransport({ sctpParameters: undefined });
    failedThenClosed.handler.emit('@connectionstatechange', 'failed');
    failedThenClosed.close();
    const failed = await bareTransport({ sctpParameters: undefined });
    failed.handler.emit('@connectionstatechange', 'failed');
    const noSctp = await bareTransport({ sctpParameters: undefined });
    const noListeners = await bareTransport();
    const noProduceDataListener = await bareTransport();
    noProduceDataListener.on('connect', (_parameters, callback) => {
      callback();
    });
    const badArgumentsOnly = await createTransport();

    const errors = await Promise.all(
      [failedThenClosed, failed, noSctp, noListeners, noProduceDataListener, badArgumentsOnly].map(
        (transport) => rejectionOf(produceWith(transport, BAD_ARGUMENTS)),
      ),
    );

    expect(errors.map((error) => `${(error as Error).name}: ${(error as Error).message}`)).toEqual([
      'InvalidStateError: transport is closed',
      'InvalidStateError: transport connection failed: close it and create a new one',
      'UnsupportedError: SCTP is not enabled by the remote transport (no sctpParameters)',
      'TypeError: no "connect" listener set on this transport',
      'TypeError: no "producedata" listener set on this transport',
      'TypeError: maxRetransmits must be an integer from 0 to 65535',
    ]);
    expect(errors[0]).toBeInstanceOf(InvalidStateError);
    expect(errors[2]).toBeInstanceOf(UnsupportedError);
  });

  test('transport.produceData() rejected by a guard emits neither connect nor producedata', async () => {
    const transport = await createTransport();
    let signals = 0;
    transport.on('connect', () => signals++);
    transport.on('producedata', () => signals++);

    await expect(
      produceWith(transport, { maxRetransmits: 1, maxPacketLifeTime: 1 }),
    ).rejects.toThrow(TypeError);

    expect(signals).toBe(0);
    expect(transport.connectionState).toBe('new');
  });
});

describe('transport.produceData() options', () => {
  const badNumbers: [string, unknown][] = [
    ['-1', -1],
    ['65536', 65536],
    ['1.5', 1.5],
    ["'10'", '10'],
    ['NaN', NaN],
    ['null', null],
  ];

  test.each(
    ['maxPacketLifeTime', 'maxRetransmits'].flatMap((option) =>
      badNumbers.map(([label, value]) => [option, label, value] as const),
    ),
  )(
    "transport.produceData() with %s %s rejects with TypeError 'integer from 0 to 65535'",
    async (option, _label, value) => {
      const transport = await createTransport();

      await expect(produceWith(transport, { [option]: value })).rejects.toThrow(
        new TypeError(`${option} must be an integer from 0 to 65535`),
      );
    },
  );

  test('transport.produceData() with maxPacketLifeTime 0 and maxRetransmits 65535 resolves with unordered channels', async () => {
    const transport = await createTransport();
    const produced = recordProduceData(transport);

    const lifetime = await transport.produceData({ maxPacketLifeTime: 0 });
    const retransmits = await transport.produceData({ maxRetransmits: 65535 });

    expect(lifetime.sctpStreamParameters).toEqual({
      streamId: 0,
      ordered: false,
      maxPacketLifeTime: 0,
    });
    expect(retransmits.sctpStreamParameters).toEqual({
      streamId: 1,
      ordered: false,
      maxRetransmits: 65535,
    });
    expect(produced.map((p) => p.sctpStreamParameters)).toEqual([
      lifetime.sctpStreamParameters,
      retransmits.sctpStreamParameters,
    ]);
  });

  test('transport.produceData() with both maxPacketLifeTime and maxRetransmits rejects with TypeError', async () => {
    const transport = await createTransport();

    await expect(
      produceWith(transport, { maxPacketLifeTime: 10, maxRetransmits: 1 }),
    ).rejects.toThrow(/cannot both be given/);
  });

  test.each(['maxPacketLifeTime', 'maxRetransmits'])(
    'transport.produceData() with ordered: true and %s rejects with TypeError and never sends producedata',
    async (option) => {
      const transport = await createTransport();
      const produced = recordProduceData(transport);

      await expect(produceWith(transport, { ordered: true, [option]: 3 })).rejects.toThrow(
        TypeError,
      );

      expect(produced).toEqual([]);
    },
  );

  test('transport.produceData() with ordered: false and maxRetransmits keeps them as given', async () => {
    const transport = await createTransport();

    const dataProducer = await transport.produceData({ ordered: false, maxRetransmits: 3 });

    expect(dataProducer.sctpStreamParameters).toEqual({
      streamId: 0,
      ordered: false,
      maxRetransmits: 3,
    });
  });

  test.each([
    ['label', '65536 ASCII characters', 'a'.repeat(65536)],
    ['label', '32768 two-byte characters (65536 bytes)', 'é'.repeat(32768)],
    ['protocol', '16384 four-byte characters (65536 bytes)', '😀'.repeat(16384)],
    ['protocol', '65536 ASCII characters', 'a'.repeat(65536)],
  ])(
    'transport.produceData() with a %s of %s rejects with TypeError',
    async (option, _label, value) => {
      const transport = await createTransport();

      await expect(produceWith(transport, { [option]: value })).rejects.toThrow(
        new RegExp(`^${option} must be at most 65535 bytes`),
      );
    },
  );

  test('transport.produceData() with a label and protocol of 65535 UTF-8 bytes resolves and sends them whole', async () => {
    const transport = await createTransport();
    const produced = recordProduceData(transport);
    const label = 'é'.repeat(32767) + 'a';
    const protocol = 'p'.repeat(65535);

    const dataProducer = await transport.produceData({ label, protocol });

    expect(dataProducer.label).toBe(label);
    expect(dataProducer.protocol).toBe(protocol);
    expect(produced[0]?.label).toBe(label);
    expect(produced[0]?.protocol).toBe(protocol);
  });

  test.each([
    ['label', 5],
    ['protocol', {}],
  ])('transport.produceData() with %s %p rejects with TypeError', async (option, value) => {
    const transport = await createTransport();

    await expect(produceWith(transport, { [option]: value })).rejects.toThrow(
      new TypeError(`${option} must be a string`),
    );
  });

  test.each([
    ['an array', []],
    ['a string', 'data'],
    ['a Map', new Map()],
    ['null', null],
    ['a class instance', new NotPlain()],
  ])('transport.produceData() with appData %s rejects with TypeError', async (_label, appData) => {
    const transport = await createTransport();

    await expect(produceWith(transport, { appData })).rejects.toThrow(
      new TypeError('appData must be a plain object'),
    );
  });

  test('transport.produceData() with appData gives it to producedata and to dataProducer.appData', async () => {
    const transport = await createTransport();
    const produced = recordProduceData(transport);
    const appData = { user: 'u1' };

    const dataProducer = await transport.produceData({ appData });

    expect(produced[0]?.appData).toEqual({ user: 'u1' });
    expect(dataProducer.appData).toEqual({ user: 'u1' });
  });

  test.each([
    ['a string', 'chat'],
    ['an array', []],
    ['null', null],
  ])('transport.produceData() with options %s rejects with TypeError', async (_label, options) => {
    const transport = await createTransport();

    await expect(produceWith(transport, options)).rejects.toThrow(TypeError);
  });

  test("transport.produceData() with ordered: 'yes' rejects with TypeError", async () => {
    const transport = await createTransport();

    await expect(produceWith(transport, { ordered: 'yes' })).rejects.toThrow(
      /ordered must be a boolean/,
    );
  });

  test.each(['very-low', 'low', 'medium', 'high'] as const)(
    "transport.produceData({ priority: '%s' }) as mediasoup-client code passes it resolves, and producedata tells the router the same as without it",
    async (priority) => {
      const transport = await createTransport();
      const produced = recordProduceData(transport);

      await transport.produceData({ label: 'a' });
      await transport.produceData({ label: 'a', priority });

      expect(produced[1]).toEqual({
        ...produced[0],
        sctpStreamParameters: { ...produced[0]?.sctpStreamParameters, streamId: 1 },
      });
    },
  );

  test.each([
    ["'urgent'", 'urgent'],
    ['a number', 1],
    ['null', null],
  ])(
    'transport.produceData() with priority %s rejects with TypeError',
    async (_label, priority) => {
      const transport = await createTransport();

      await expect(produceWith(transport, { priority })).rejects.toThrow(
        new TypeError("priority must be 'very-low', 'low', 'medium' or 'high'"),
      );
    },
  );
});

describe('transport.produceData() serialization', () => {
  /** A transport whose app holds each producedata answer until the test gives it. */
  async function heldTransport(): Promise<{
    transport: Transport;
    asked: string[];
    answer: (id: string) => void;
    refuse: (error: Error) => void;
  }> {
    const { transport } = await fakeApp({ answer: false });
    const asked: string[] = [];
    const pending: { callback: (result: { id: string }) => void; errback: (e: Error) => void }[] =
      [];
    transport.on('connect', (_parameters, callback) => {
      callback();
    });
    transport.on('producedata', ({ label }, callback, errback) => {
      asked.push(label);
      pending.push({ callback, errback });
    });
    return {
      transport,
      asked,
      answer: (id) => {
        pending.shift()?.callback({ id });
      },
      refuse: (error) => {
        pending.shift()?.errback(error);
      },
    };
  }

  test('transport.produceData() called three times at once emits producedata one at a time, in call order, each once the previous one was answered', async () => {
    const { transport, asked, answer } = await heldTransport();

    const results = ['a', 'b', 'c'].map((label) => transport.produceData({ label }));
    await turns();
    const askedBeforeAnswers = [...asked];
    answer('id-a');
    await turns();
    const askedAfterOne = [...asked];
    answer('id-b');
    await turns();
    answer('id-c');
    const producers = await Promise.all(results);

    expect(askedBeforeAnswers).toEqual(['a']);
    expect(askedAfterOne).toEqual(['a', 'b']);
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(producers.map((p) => [p.id, p.label, p.sctpStreamParameters.streamId])).toEqual([
      ['id-a', 'a', 0],
      ['id-b', 'b', 1],
      ['id-c', 'c', 2],
    ]);
  });

  test('transport.produceData() after one that was refused runs, and the refusal reaches only its own call', async () => {
    const { transport, asked, answer, refuse } = await heldTransport();
    const refusal = new Error('the server said no');

    const first = rejectionOf(transport.produceData({ label: 'refused' }));
    const second = transport.produceData({ label: 'accepted' });
    await turns();
    refuse(refusal);
    await turns();
    answer('id-accepted');

    expect(await first).toBe(refusal);
    const accepted = await second;
    expect(asked).toEqual(['refused', 'accepted']);
    expect(accepted.id).toBe('id-accepted');
    expect(accepted.sctpStreamParameters.streamId).toBe(1);
  });

  test('transport.produceData() queued behind a pending call rejects with InvalidStateError when close() comes before its turn, and emits nothing', async () => {
    const { transport, asked } = await heldTransport();
    const created: DataProducer[] = [];
    transport.observer.on('newdataproducer', (dataProducer: DataProducer) =>
      created.push(dataProducer),
    );

    const pending = rejectionOf(transport.produceData({ label: 'pending' }));
    const queued = rejectionOf(transport.produceData({ label: 'queued' }));
    await turns();
    transport.close();

    expect(await pending).toEqual(new InvalidStateError('transport is closed'));
    expect(await queued).toEqual(new InvalidStateError('transport is closed'));
    expect(asked).toEqual(['pending']);
    expect(created).toEqual([]);
  });

  test('transport.produceData() queued behind a pending call rejects with InvalidStateError when the connection failed before its turn, and the pending one resolves with a DataProducer that fails', async () => {
    const { transport, asked, answer } = await heldTransport();

    const pending = transport.produceData({ label: 'pending' });
    const queued = rejectionOf(transport.produceData({ label: 'queued' }));
    await turns();
    transport.handler.emit('@connectionstatechange', 'failed');
    answer('id-pending');

    const dataProducer = await pending;
    expect(await queued).toEqual(
      new InvalidStateError('transport connection failed: close it and create a new one'),
    );
    expect(asked).toEqual(['pending']);
    expect(dataProducer.id).toBe('id-pending');
  });
});

describe('transport.produceData() native channel refusals', () => {
  test('transport.produceData() whose first channel the native stack refuses rejects with OperationError before connect, and the next call connects and resolves', async () => {
    const app = await fakeApp();
    app.handler.refuseNextChannel('no such stream');

    const error = await rejectionOf(app.transport.produceData());
    const next = await app.transport.produceData();

    expect(error).toEqual(new OperationError('could not create the SCTP channel: no such stream'));
    expect(error).toBeInstanceOf(OperationError);
    expect(app.connects).toHaveLength(1);
    expect(app.produced).toHaveLength(1);
    expect(next.sctpStreamParameters.streamId).toBe(1);
  });

  test('transport.produceData() whose later channel the native stack refuses after producedata was answered rejects with OperationError, creates no DataProducer and frees its stream id at once', async () => {
    const app = await fakeApp({
      client: { sctpParameters: { port: 5000, OS: 2, MIS: 2, maxMessageSize: 1000 } },
    });
    const first = await app.transport.produceData();
    const created: DataProducer[] = [];
    app.transport.observer.on('newdataproducer', (dataProducer: DataProducer) =>
      created.push(dataProducer),
    );
    app.handler.refuseNextChannel('native refusal');
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });

    const error = await rejectionOf(app.transport.produceData({ label: 'refused' }));
    // Stream 1 had no channel: it is free again at once, without a rest (no timer runs here).
    const again = await app.transport.produceData({ label: 'again' });
    jest.useRealTimers();

    expect(error).toEqual(new OperationError('could not create the SCTP channel: native refusal'));
    expect(app.produced.map((p) => p.parameters.label)).toEqual(['', 'refused', 'again']);
    expect(created).toEqual([again]);
    expect([first, again].map((p) => p.sctpStreamParameters.streamId)).toEqual([0, 1]);
  });
});

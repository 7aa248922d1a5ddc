// Property-based: hundreds of random values at every option of produceData(), at send(),
// bufferedAmountLowThreshold and createSendTransport(). Only typed errors may come out
// (TypeError, RangeError, InvalidStateError, UnsupportedError, OperationError): never a crash,
// a hang, or a transport that no longer works afterwards.
import fc from 'fast-check';
import { Transport, type DataProducer, type types } from 'mediasoup-data-producer';

import { isTypedError, raceTimeout } from '../support/faults.js';
import { createTransport, startSession, type Session, openProducer } from '../support/session.js';

jest.setTimeout(120000);

const NUM_RUNS = 300;
const HANG_MS = 10000;

let session: Session;
let transport: Transport;
let params: types.TransportOptions;

beforeAll(async () => {
  session = await startSession();
  transport = await createTransport(session);
  // Connect once with a real producer, so that the barrage runs on a live association.
  const first = await openProducer(transport, { label: 'first' });
  first.send('first');
  await session.router.waitForMessages(1, { dataProducerId: first.id });
  params = await session.router.createWebRtcTransport();
});

afterAll(async () => {
  await session.close();
});

/** Values that break naive checks: wrong types, edge numbers, look-alikes. */
const weird = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    NaN,
    Infinity,
    -Infinity,
    -0,
    -1,
    0.5,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    '',
    '0',
    '65535',
    'true',
    true,
    false,
    [],
    {},
    Object.create(null) as unknown,
    new Date(0),
    /x/,
    () => 1,
    Symbol('s'),
    10n,
    new Map(),
    new Uint8Array(1),
    new ArrayBuffer(2),
    Promise.resolve(1),
  ),
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, maxDepth: 2 }),
);

/** An arbitrary for one option: mostly plausible values of the right type, sometimes anything. */
function option<T>(
  plausible: fc.Arbitrary<T>,
  other: fc.Arbitrary<unknown> = weird,
): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: plausible, weight: 3 }, { arbitrary: other, weight: 2 });
}

const uint16ish = fc.oneof(
  fc.integer({ min: -2, max: 70000 }),
  fc.constantFrom(0, 65535, 65536),
  fc.double({ noNaN: false }),
);

const shortString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('x'.repeat(65535), 'x'.repeat(65536), 'é'.repeat(32768), '\u0000', '🚀'),
);

const validProduceDataOptions = fc
  .tuple(
    fc.record(
      {
        label: fc.string({ maxLength: 40 }),
        protocol: fc.string({ maxLength: 40 }),
        appData: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
        maxBufferedAmount: fc.integer({ min: 1, max: 1 << 26 }),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      fc.constant({}),
      fc.record({ ordered: fc.boolean() }),
      fc.record({ maxPacketLifeTime: fc.integer({ min: 0, max: 65535 }) }),
      fc.record({ maxRetransmits: fc.integer({ min: 0, max: 65535 }) }),
      fc.record({ ordered: fc.constant(false), maxRetransmits: fc.nat({ max: 65535 }) }),
    ),
  )
  .map(([rest, reliability]) => ({ ...rest, ...reliability }));

/** Every option of produceData(), each plausible or weird. */
const anyProduceDataOption = fc.oneof(
  option(fc.boolean()).map((ordered) => ({ ordered })),
  option(uint16ish).map((maxPacketLifeTime) => ({ maxPacketLifeTime })),
  option(uint16ish).map((maxRetransmits) => ({ maxRetransmits })),
  option(shortString).map((label) => ({ label })),
  option(shortString).map((protocol) => ({ protocol })),
  option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))).map(
    (appData) => ({ appData }),
  ),
  option(
    fc.oneof(fc.integer({ min: -10, max: 1 << 26 }), fc.constantFrom(1, 2 ** 53 - 1, 2 ** 53)),
  ).map((maxBufferedAmount) => ({ maxBufferedAmount })),
);

/** A whole random value, valid options, or valid options with one to three options broken. */
const produceDataOptions = fc.oneof(
  { arbitrary: weird, weight: 1 },
  { arbitrary: validProduceDataOptions, weight: 2 },
  {
    arbitrary: fc
      .tuple(
        validProduceDataOptions,
        fc.array(anyProduceDataOption, { minLength: 1, maxLength: 3 }),
      )
      .map(([valid, broken]) => Object.assign({}, valid, ...broken) as unknown),
    weight: 4,
  },
);

type Outcome = { kind: 'resolved'; value: unknown } | { kind: 'rejected'; error: unknown };

/** Runs `call`, turning a synchronous throw into a rejection, and fails on a hang. */
async function settle(call: () => unknown): Promise<Outcome> {
  const promise = new Promise((resolve) => {
    resolve(call());
  });
  return raceTimeout(
    promise.then(
      (value): Outcome => ({ kind: 'resolved', value }),
      (error: unknown): Outcome => ({ kind: 'rejected', error }),
    ),
    HANG_MS,
    (): Outcome => {
      throw new Error(`hung for ${HANG_MS} ms`);
    },
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}

test(`produceData() with ${NUM_RUNS} random options: resolves or rejects with a typed error, never hangs; the transport still delivers afterwards`, async () => {
  // The router is not asked: the barrage is about this library, and the stream ids come back
  // as each producer closes. Each resolved producer is closed at once.
  transport.removeAllListeners('producedata');
  let ids = 0;
  transport.on('producedata', (_parameters, callback) => {
    callback({ id: `fuzz-${++ids}` });
  });
  const tally = { resolved: 0, rejected: new Map<string, number>() };
  try {
    await fc.assert(
      fc.asyncProperty(produceDataOptions, async (options) => {
        const outcome = await settle(() =>
          transport.produceData(options as types.DataProducerOptions),
        );
        if (outcome.kind === 'resolved') {
          const dataProducer = outcome.value as DataProducer;
          tally.resolved++;
          expect(dataProducer.closed).toBe(false);
          dataProducer.close();
        } else {
          if (!isTypedError(outcome.error)) {
            throw new Error(`untyped rejection: ${describeError(outcome.error)}`);
          }
          const name = (outcome.error as Error).constructor.name;
          tally.rejected.set(name, (tally.rejected.get(name) ?? 0) + 1);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  } finally {
    transport.removeAllListeners('producedata');
    transport.on('producedata', (parameters, callback, errback) => {
      session.router.produceData(transport.id, parameters).then(callback, errback);
    });
  }
  expect(tally.resolved).toBeGreaterThan(NUM_RUNS / 10);
  expect(tally.rejected.get('TypeError')).toBeGreaterThan(NUM_RUNS / 10);

  expect(transport.connectionState).toBe('connected');
  await expectStillDelivers('after produceData barrage');
});

test(`send() with ${NUM_RUNS * 2} random values: accepts or throws a typed error; everything accepted arrives, in order, intact`, async () => {
  const dataProducer = await openProducer(transport, { label: 'send-fuzz' });
  const maxMessageSize = 262144;
  const data = fc.oneof(
    { arbitrary: weird, weight: 3 },
    { arbitrary: fc.string({ maxLength: 64, unit: 'binary' }), weight: 2 },
    { arbitrary: fc.string({ maxLength: 64 }), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 2 },
    { arbitrary: fc.int16Array({ maxLength: 64 }), weight: 1 },
    { arbitrary: fc.float64Array({ maxLength: 16 }), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.nat())
        .map(([bytes, a, b]) => {
          const offset = a % bytes.length;
          return new DataView(bytes.buffer, offset, b % (bytes.length - offset + 1));
        }),
      weight: 1,
    },
    { arbitrary: fc.string({ maxLength: 32 }).map((s) => new Blob([s])), weight: 1 },
    {
      arbitrary: fc
        .constantFrom(maxMessageSize - 1, maxMessageSize, maxMessageSize + 1, 0)
        .map((size) => Buffer.alloc(size, 7)),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(
        new ArrayBuffer(0),
        new Uint8Array(new SharedArrayBuffer(8)),
        'x'.repeat(maxMessageSize + 1),
        'é'.repeat(maxMessageSize / 2 + 1),
        new Blob([new Uint8Array(maxMessageSize + 1)]),
      ),
      weight: 1,
    },
  );
  /** Expected byte length of each accepted message, in send order. */
  const accepted: number[] = [];
  const thrown = new Map<string, number>();
  fc.assert(
    fc.property(data, (value) => {
      try {
        dataProducer.send(value as types.DataProducerSendData);
      } catch (error) {
        if (!isTypedError(error)) throw new Error(`untyped throw: ${describeError(error)}`);
        const name = (error as Error).constructor.name;
        thrown.set(name, (thrown.get(name) ?? 0) + 1);
        return;
      }
      accepted.push(byteLength(value));
    }),
    { numRuns: NUM_RUNS * 2 },
  );

  expect(accepted.length).toBeGreaterThan(50);
  expect(thrown.get('TypeError')).toBeGreaterThan(50);
  const messages = await session.router.waitForMessages(accepted.length, {
    dataProducerId: dataProducer.id,
    timeoutMs: 30000,
  });
  // An empty message travels as one byte with PPID 56 (string) or 57 (binary).
  expect(messages.map((m) => (m.ppid === 56 || m.ppid === 57 ? 0 : m.data.length))).toEqual(
    accepted,
  );
  expect(dataProducer.readyState).toBe('open');
  dataProducer.close();
  await expectStillDelivers('after send barrage');
});

test(`bufferedAmountLowThreshold set to ${NUM_RUNS} random values: keeps a valid value or throws TypeError and keeps the previous one`, async () => {
  const dataProducer = await openProducer(transport, { label: 'threshold-fuzz' });
  fc.assert(
    fc.property(
      fc.oneof(weird, fc.integer(), fc.double(), fc.nat({ max: Number.MAX_SAFE_INTEGER })),
      (value) => {
        const before = dataProducer.bufferedAmountLowThreshold;
        try {
          dataProducer.bufferedAmountLowThreshold = value as number;
        } catch (error) {
          if (!isTypedError(error)) throw new Error(`untyped throw: ${describeError(error)}`);
          expect(dataProducer.bufferedAmountLowThreshold).toBe(before);
          return;
        }
        expect(dataProducer.bufferedAmountLowThreshold).toBe(value);
        expect(Number.isSafeInteger(value) && (value as number) >= 0).toBe(true);
      },
    ),
    { numRuns: NUM_RUNS },
  );
  dataProducer.bufferedAmountLowThreshold = 0;
  dataProducer.send('threshold still fine');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  dataProducer.close();
});

test(`createSendTransport() with ${NUM_RUNS} randomly broken parameters: returns a transport or throws a typed error`, async () => {
  const candidate = params.iceCandidates[0];
  const fingerprint = params.dtlsParameters.fingerprints[0];
  if (!candidate || !fingerprint) throw new Error('router parameters without candidate');
  const validish = {
    id: fc.string({ maxLength: 8 }),
    iceParameters: fc.record(
      {
        usernameFragment: option(fc.string({ minLength: 1, maxLength: 8 })),
        password: option(fc.string({ minLength: 1, maxLength: 24 })),
        iceLite: option(fc.boolean()),
      },
      { requiredKeys: [] },
    ),
    iceCandidates: fc.oneof(
      weird,
      fc.array(
        fc.record(
          {
            foundation: option(fc.string({ minLength: 1, maxLength: 8 })),
            priority: option(fc.oneof(fc.nat(), fc.constantFrom(2 ** 32 - 1, 2 ** 32))),
            ip: option(fc.constantFrom('127.0.0.1', '::1', 'host.example')),
            address: option(fc.constantFrom('127.0.0.1', '10.0.0.1')),
            protocol: option(fc.constantFrom('udp', 'tcp', 'sctp')),
            port: option(
              fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constant(candidate.port)),
            ),
            type: option(fc.constantFrom('host', 'srflx', 'prflx', 'relay', 'lan')),
            tcpType: option(fc.constantFrom('active', 'passive', 'so', 'x')),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    ),
    dtlsParameters: fc.record(
      {
        role: option(fc.constantFrom('auto', 'client', 'server', 'both')),
        fingerprints: fc.oneof(
          weird,
          fc.array(
            fc.record({
              algorithm: option(fc.constantFrom('sha-256', 'SHA-256', 'sha-1', 'md5')),
              value: option(fc.constantFrom(fingerprint.value, 'AB:CD')),
            }),
            { maxLength: 3 },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    sctpParameters: option(
      fc.record(
        {
          port: option(fc.integer({ min: -1, max: 70000 })),
          OS: option(fc.integer({ min: -1, max: 70000 })),
          MIS: option(fc.integer({ min: -1, max: 70000 })),
          maxMessageSize: option(fc.integer({ min: -1, max: 1 << 20 })),
          maxReceiveMessageSize: option(fc.integer({ min: -1, max: 1 << 20 })),
          maxSendMessageSize: option(fc.integer({ min: -1, max: 1 << 20 })),
        },
        { requiredKeys: [] },
      ),
    ),
    iceServers: option(
      fc.array(
        fc.record(
          {
            urls: option(
              fc.oneof(
                fc.constantFrom(
                  'stun:127.0.0.1:3478',
                  'turn:127.0.0.1?transport=tcp',
                  'turns:[::1]:5349',
                  'http://x',
                  'stun:',
                  'stun:host:0',
                  'stun:host:99999',
                ),
                fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 }),
                fc.webUrl(),
              ),
            ),
            username: option(fc.string({ maxLength: 8 })),
            credential: option(fc.string({ maxLength: 8 })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
    iceTransportPolicy: option(fc.constantFrom('all', 'relay', 'none')),
    appData: option(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }))),
    signalingTimeout: option(fc.integer({ min: -5, max: 100000 })),
  };
  // Either a whole random value, or the router's valid parameters with one or two fields
  // replaced (each by a plausible or a weird value).
  const oneField = fc.oneof(
    ...Object.entries(validish).map(([key, arbitrary]) =>
      (arbitrary as fc.Arbitrary<unknown>).map((value) => ({ [key]: value })),
    ),
  );
  const options = fc.oneof(
    { arbitrary: weird, weight: 1 },
    {
      arbitrary: fc
        .array(oneField, { minLength: 1, maxLength: 2 })
        .map((overrides) => Object.assign(structuredClone(params), ...overrides) as unknown),
      weight: 5,
    },
  );
  const tally = { created: 0, thrown: 0 };
  fc.assert(
    fc.property(options, (value) => {
      let created: Transport;
      try {
        created = session.device.createSendTransport(value as types.TransportOptions);
      } catch (error) {
        if (!isTypedError(error)) throw new Error(`untyped throw: ${describeError(error)}`);
        tally.thrown++;
        return;
      }
      tally.created++;
      expect(created).toBeInstanceOf(Transport);
      expect(created.connectionState).toBe('new');
      created.close();
      expect(created.closed).toBe(true);
    }),
    { numRuns: NUM_RUNS },
  );
  expect(tally.created).toBeGreaterThan(5);
  expect(tally.thrown).toBeGreaterThan(50);
  await expectStillDelivers('after createSendTransport barrage');
});

// sctpParameters: fields it does not read are ignored whatever they hold; the ones it reads
// must be what they should be.
test('createSendTransport() with an uncopyable value in sctpParameters ignores an unknown field and refuses a known one with TypeError', () => {
  for (const value of [() => 1, Symbol('s'), Promise.resolve(1)]) {
    const withExtra = { ...params.sctpParameters, extra: value };
    session.device
      .createSendTransport({ ...params, sctpParameters: withExtra } as types.TransportOptions)
      .close();
    const badKnown = {
      ...params.sctpParameters,
      maxReceiveMessageSize: 262144,
      maxMessageSize: value,
    };
    expect(() => {
      session.device
        .createSendTransport({
          ...params,
          sctpParameters: badKnown,
        } as unknown as types.TransportOptions)
        .close();
    }).toThrow(TypeError);
  }
});

// createSendTransport() and produceData() refuse strings that cannot be used: ICE
// ufrag/password, candidate foundation/address and fingerprint values outside their SDP
// grammar (a CR/LF would be SDP injection), and a label/protocol with a lone UTF-16 surrogate
// (no UTF-8 form; mediasoup 3.8.4's worker could not parse the request).
test('strings that cannot go into the SDP or UTF-8 are refused with TypeError up front', async () => {
  const base = structuredClone(params);
  const broken: [string, (p: types.TransportOptions) => void][] = [
    ['password with NUL', (p) => (p.iceParameters.password = 'a\u0000b')],
    [
      'candidate address that is no address',
      (p) => ((p.iceCandidates[0] as { ip: string }).ip = 'not an ip'),
    ],
    [
      'candidate foundation with a space',
      (p) => ((p.iceCandidates[0] as { foundation: string }).foundation = 'a b'),
    ],
    ['ufrag with CRLF (SDP injection)', (p) => (p.iceParameters.usernameFragment = 'ab\r\na=x')],
  ];
  const outcomes: Record<string, string> = {};
  for (const [name, breakIt] of broken) {
    const options = structuredClone(base);
    breakIt(options);
    let created: Transport;
    try {
      created = session.device.createSendTransport({ ...options, id: `${options.id}-${name}` });
    } catch (error) {
      outcomes[name] = describeError(error);
      continue;
    }
    created.on('connect', (_parameters, callback) => {
      callback();
    });
    created.on('producedata', (_parameters, callback) => {
      callback({ id: 'never-used' });
    });
    const outcome = await settle(() => created.produceData());
    outcomes[name] =
      outcome.kind === 'resolved' ? 'produceData() resolved' : describeError(outcome.error);
    created.close();
  }
  transport.removeAllListeners('producedata');
  transport.on('producedata', (_parameters, callback) => {
    callback({ id: 'lone-surrogate' });
  });
  const surrogate = await settle(() => transport.produceData({ label: '\uD800' }));
  outcomes['label with a lone surrogate'] =
    surrogate.kind === 'resolved' ? 'produceData() resolved' : describeError(surrogate.error);
  if (surrogate.kind === 'resolved') (surrogate.value as DataProducer).close();
  transport.removeAllListeners('producedata');
  transport.on('producedata', (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(callback, errback);
  });

  for (const [name, outcome] of Object.entries(outcomes)) {
    expect(`${name}: ${outcome}`).toMatch(new RegExp(`^${escapeRegExp(name)}: TypeError: `));
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** UTF-8 bytes of a string, bytes of binary data, size of a Blob. */
function byteLength(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value instanceof Blob) return value.size;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  throw new Error(`send() accepted a value it should not have: ${String(value)}`);
}

async function expectStillDelivers(marker: string): Promise<void> {
  const dataProducer = await openProducer(transport, { label: marker });
  dataProducer.send(marker);
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe(marker);
  dataProducer.close();
}

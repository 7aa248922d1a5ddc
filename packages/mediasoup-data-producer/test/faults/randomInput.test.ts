// Property-based: hundreds of random values at every option of produceData(), at send(),
// bufferedAmountLowThreshold and createSendTransport(). Each value's outcome is checked
// against the documented rules (docs/api.md): a valid value gives an object that reflects it
// (and messages that arrive as sent), an invalid one throws or rejects with TypeError and
// leaves nothing half-done (no producer, no signaling, no stream id taken). Never a crash, a
// hang, or a transport that no longer works afterwards.
import { createHash } from 'node:crypto';

import fc from 'fast-check';
import {
  OperationError,
  Transport,
  UnsupportedError,
  type DataProducer,
  type types,
} from 'mediasoup-data-producer';

import { rejectionOf, thrownBy } from '@test-support/outcomes.js';
import { raceTimeout } from '@test-support/faults.js';
import {
  once,
  startSession,
  type Session,
  openProducer,
  signalThroughLocalRouter,
} from '@test-support/session.js';

jest.setTimeout(120000);

const NUM_RUNS = 300;
/** Runs of the end-to-end property, where each run opens a producer on the router. */
const ROUTER_RUNS = 15;
const HANG_MS = 10000;
/** Streams the shared transport may use: few, so that a leaked stream id shows. */
const STREAMS = 64;
/** DataProducer's default maxBufferedAmount (docs/api.md). */
const DEFAULT_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;

let session: Session;
let transport: Transport;
/** The producer opened first; it stays open on `transport` for the whole file. */
let first: DataProducer;
let params: types.TransportOptions;
/** The router's SCTP receive limit: the largest message send() takes. */
let maxMessageSize: number;

beforeAll(async () => {
  session = await startSession();
  const shared: types.TransportOptions = await session.router.createWebRtcTransport();
  const sctp = shared.sctpParameters;
  maxMessageSize = sctp?.maxReceiveMessageSize ?? sctp?.maxMessageSize ?? 0;
  if (!sctp || maxMessageSize === 0) throw new Error('the router gave no SCTP parameters');
  // OS and MIS, when the client is given them, cap the streams the transport uses
  // (docs/api.md, SCTP parameters): fewer than any router offers, whatever its version.
  transport = session.device.createSendTransport({
    ...shared,
    sctpParameters: { ...sctp, OS: STREAMS, MIS: STREAMS },
  });
  signalThroughLocalRouter(session, transport);
  // Connect once with a real producer, so that the barrage runs on a live association.
  first = await openProducer(transport, { label: 'first' });
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

/** `error` is an instance of exactly `errorClass`, not of a subclass or another typed error. */
function expectErrorClass(error: unknown, errorClass: new (message: string) => Error): void {
  expect(error).toBeInstanceOf(errorClass);
  expect((error as Error).constructor).toBe(errorClass);
}

// The documented rules (docs/api.md), written out independently of src/validation.ts: each
// property computes from them what its random value must do, then checks that it did.

/**
 * A plain object: its prototype is Object.prototype (of this realm or another: Jest's
 * structuredClone() returns objects of the outer realm) or null.
 */
function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return (
    proto === null ||
    (Object.getPrototypeOf(proto) === null &&
      Object.prototype.toString.call(value) === '[object Object]')
  );
}

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** A label or protocol: a string that UTF-8 can carry (no lone surrogate), at most 65535 bytes. */
function isShortString(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    Buffer.from(value, 'utf8').toString('utf8') === value &&
    Buffer.byteLength(value, 'utf8') <= 65535
  );
}

type ProduceDataExpectation =
  | {
      valid: true;
      /** sctpStreamParameters without the streamId, which the transport picks. */
      sctp: Omit<types.SctpStreamParameters, 'streamId'>;
      label: string;
      protocol: string;
      /** As given; undefined for the default {}. */
      appData: unknown;
    }
  | { valid: false };

/** What produceData(options) must do with these options. */
function expectProduceData(options: unknown): ProduceDataExpectation {
  const invalid = { valid: false } as const;
  const given = options === undefined ? {} : options;
  if (!isPlain(given)) return invalid;
  const { ordered, maxPacketLifeTime, maxRetransmits, maxBufferedAmount } = given;
  const { label, protocol, appData } = given;
  const isUint16Option = (value: unknown): boolean => value === undefined || isInt(value, 0, 65535);
  if (!isUint16Option(maxPacketLifeTime) || !isUint16Option(maxRetransmits)) return invalid;
  if (maxPacketLifeTime !== undefined && maxRetransmits !== undefined) return invalid;
  const partial = maxPacketLifeTime !== undefined || maxRetransmits !== undefined;
  if (ordered !== undefined && typeof ordered !== 'boolean') return invalid;
  if (ordered === true && partial) return invalid;
  if (maxBufferedAmount !== undefined && !isInt(maxBufferedAmount, 1, Number.MAX_SAFE_INTEGER)) {
    return invalid;
  }
  if (label !== undefined && !isShortString(label)) return invalid;
  if (protocol !== undefined && !isShortString(protocol)) return invalid;
  if (appData !== undefined && !isPlain(appData)) return invalid;
  return {
    valid: true,
    sctp: {
      ordered: ordered ?? !partial,
      ...(maxPacketLifeTime !== undefined && { maxPacketLifeTime: maxPacketLifeTime as number }),
      ...(maxRetransmits !== undefined && { maxRetransmits: maxRetransmits as number }),
    },
    label: label ?? '',
    protocol: protocol ?? '',
    appData,
  };
}

/** A received or expected message, short enough for a readable diff. */
function digest(ppid: number, bytes: Uint8Array): string {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `ppid ${ppid}, ${bytes.byteLength} bytes, sha256 ${hash}`;
}

/** What the router received; an empty message travels as one byte with PPID 56 or 57. */
function digestReceived(message: { ppid: number; data: Buffer }): string {
  const empty = message.ppid === 56 || message.ppid === 57;
  if (empty) expect(message.data.byteLength).toBe(1);
  return digest(message.ppid, empty ? new Uint8Array(0) : message.data);
}

type SendExpectation =
  | { accepted: true; size: number; ppid: number; bytes: Promise<Uint8Array> }
  | { accepted: false; reason: string };

/** What send(value) must do: take it with this PPID and bytes, or throw TypeError. */
function expectSend(value: unknown): SendExpectation {
  let size: number;
  let binary = true;
  let bytes: Promise<Uint8Array>;
  if (typeof value === 'string') {
    binary = false;
    bytes = Promise.resolve(Buffer.from(value, 'utf8'));
    size = Buffer.byteLength(value, 'utf8');
  } else if (value instanceof ArrayBuffer) {
    bytes = Promise.resolve(Buffer.from(new Uint8Array(value)));
    size = value.byteLength;
  } else if (ArrayBuffer.isView(value)) {
    bytes = Promise.resolve(
      Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)),
    );
    size = value.byteLength;
  } else if (value instanceof Blob) {
    bytes = value.arrayBuffer().then((buffer) => new Uint8Array(buffer));
    size = value.size;
  } else {
    return { accepted: false, reason: 'not a message' };
  }
  if (size > maxMessageSize) return { accepted: false, reason: 'larger than the router takes' };
  const ppid = binary ? (size === 0 ? 57 : 53) : size === 0 ? 56 : 51;
  return { accepted: true, size, ppid, bytes };
}

const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const ADDRESS = /^[A-Za-z0-9.:-]+$/;
const FINGERPRINT = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/;
/** `scheme:host[:port][?transport=udp|tcp]`; no user info, no path; an IPv6 host in brackets. */
const ICE_SERVER_URL =
  /^(stuns?|turns?):(\[[0-9a-f:.]+\]|[^:?@/\s[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i;

function isIceToken(value: unknown): boolean {
  return typeof value === 'string' && ICE_CHARS.test(value);
}

function isIceServerUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  const match = ICE_SERVER_URL.exec(url);
  return match !== null && (match[3] === undefined || isInt(Number(match[3]), 1, 65535));
}

function isPositive(value: unknown): boolean {
  return isInt(value, 1, Number.MAX_SAFE_INTEGER);
}

/** Whether createSendTransport(options) must return a transport (else throw TypeError). */
function transportOptionsValid(options: unknown): boolean {
  if (!isPlain(options)) return false;
  const { id, iceParameters, iceCandidates, dtlsParameters, sctpParameters } = options;
  const { iceServers, iceTransportPolicy, appData, signalingTimeout } = options;
  return (
    isNonEmptyString(id) &&
    isPlain(iceParameters) &&
    isIceToken(iceParameters.usernameFragment) &&
    isIceToken(iceParameters.password) &&
    (iceParameters.iceLite === undefined || typeof iceParameters.iceLite === 'boolean') &&
    Array.isArray(iceCandidates) &&
    iceCandidates.length > 0 &&
    iceCandidates.every(
      (c: unknown) =>
        isPlain(c) &&
        isIceToken(c.foundation) &&
        isInt(c.priority, 0, 2 ** 32 - 1) &&
        typeof (c.address ?? c.ip) === 'string' &&
        ADDRESS.test((c.address ?? c.ip) as string) &&
        (c.protocol === 'udp' || c.protocol === 'tcp') &&
        isInt(c.port, 1, 65535) &&
        ['host', 'srflx', 'prflx', 'relay'].includes(c.type as string) &&
        (c.tcpType === undefined || ['active', 'passive', 'so'].includes(c.tcpType as string)),
    ) &&
    isPlain(dtlsParameters) &&
    [undefined, 'auto', 'client', 'server'].includes(dtlsParameters.role as string) &&
    Array.isArray(dtlsParameters.fingerprints) &&
    dtlsParameters.fingerprints.length > 0 &&
    dtlsParameters.fingerprints.every(
      (f: unknown) =>
        isPlain(f) &&
        isNonEmptyString(f.algorithm) &&
        typeof f.value === 'string' &&
        FINGERPRINT.test(f.value),
    ) &&
    dtlsParameters.fingerprints.some(
      (f: unknown) => (f as { algorithm: string }).algorithm.toLowerCase() === 'sha-256',
    ) &&
    (sctpParameters === undefined ||
      (isPlain(sctpParameters) &&
        isInt(sctpParameters.port, 1, 65535) &&
        isPositive(sctpParameters.maxReceiveMessageSize ?? sctpParameters.maxMessageSize) &&
        (['OS', 'MIS', 'maxMessageSize', 'maxSendMessageSize', 'maxReceiveMessageSize'] as const)
          .map((key) => sctpParameters[key])
          .every((value) => value === undefined || isPositive(value)))) &&
    (iceServers === undefined ||
      (Array.isArray(iceServers) &&
        iceServers.every((server: unknown) => {
          if (!isPlain(server)) return false;
          const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
          return (
            Array.isArray(urls) &&
            urls.length > 0 &&
            urls.every(isIceServerUrl) &&
            (server.username === undefined || typeof server.username === 'string') &&
            (server.credential === undefined || typeof server.credential === 'string') &&
            (!urls.some((url) => /^turns?:/i.test(url as string)) ||
              (server.username !== undefined && server.credential !== undefined))
          );
        }))) &&
    [undefined, 'all', 'relay'].includes(iceTransportPolicy as string) &&
    (appData === undefined || isPlain(appData)) &&
    (signalingTimeout === undefined || isPositive(signalingTimeout))
  );
}

test(`produceData() with ${NUM_RUNS} random options: valid options give a producer that reflects them, invalid ones reject with TypeError and take nothing; never hangs; the transport still delivers afterwards`, async () => {
  // The router is not asked: the barrage is about this library, and the stream ids come back
  // as each producer closes. Each resolved producer is closed at once.
  transport.removeAllListeners('producedata');
  /** Each `producedata` emitted, with the id it was answered with. */
  const answered: { id: string; parameters: types.ProduceDataParameters }[] = [];
  transport.on('producedata', (parameters, callback) => {
    const id = `fuzz-${answered.length + 1}`;
    answered.push({ id, parameters });
    callback({ id });
  });
  const created: DataProducer[] = [];
  const onNewDataProducer = (dataProducer: DataProducer): void => {
    created.push(dataProducer);
  };
  transport.observer.on('newdataproducer', onNewDataProducer);
  const firstStreamId = first.sctpStreamParameters.streamId;
  const tally = { resolved: 0, rejected: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(produceDataOptions, async (options) => {
        const expected = expectProduceData(options);
        const answeredBefore = answered.length;
        const createdBefore = created.length;
        const outcome = await settle(() =>
          transport.produceData(options as types.DataProducerOptions),
        );
        if (!expected.valid) {
          if (outcome.kind === 'resolved') {
            (outcome.value as DataProducer).close();
            throw new Error(`invalid options were taken: ${fc.stringify(options)}`);
          }
          expectErrorClass(outcome.error, TypeError);
          // Refused up front: no producedata, no producer, so no stream id either (see the
          // capacity check below).
          expect(answered).toHaveLength(answeredBefore);
          expect(created).toHaveLength(createdBefore);
          tally.rejected++;
          return;
        }
        if (outcome.kind === 'rejected') {
          throw new Error(
            `valid options were refused with ${describeError(outcome.error)}: ${fc.stringify(options)}`,
          );
        }
        const dataProducer = outcome.value as DataProducer;
        tally.resolved++;
        try {
          expect(answered).toHaveLength(answeredBefore + 1);
          expect(created).toHaveLength(createdBefore + 1);
          expect(created[createdBefore]).toBe(dataProducer);
          const { id, parameters } = answered[answeredBefore] ?? { id: '', parameters: undefined };
          expect(dataProducer.id).toBe(id);
          // What the router was asked for is what was passed, and what the producer says.
          const { streamId, ...sctp } = parameters?.sctpStreamParameters ?? { streamId: -1 };
          expect(sctp).toStrictEqual(expected.sctp);
          expect(Number.isInteger(streamId) && streamId >= 0 && streamId < STREAMS).toBe(true);
          expect(streamId).not.toBe(firstStreamId);
          expect(dataProducer.sctpStreamParameters).toStrictEqual({ streamId, ...expected.sctp });
          expect(parameters?.label).toBe(expected.label);
          expect(parameters?.protocol).toBe(expected.protocol);
          expect(dataProducer.label).toBe(expected.label);
          expect(dataProducer.protocol).toBe(expected.protocol);
          if (expected.appData === undefined) {
            expect(parameters?.appData).toStrictEqual({});
            expect(dataProducer.appData).toStrictEqual({});
          } else {
            expect(parameters?.appData).toEqual(expected.appData);
            expect(dataProducer.appData).toBe(expected.appData);
          }
          expect(dataProducer.closed).toBe(false);
          expect(['connecting', 'open']).toContain(dataProducer.readyState);
        } finally {
          dataProducer.close();
        }
        expect(dataProducer.closed).toBe(true);
        expect(dataProducer.readyState).toBe('closed');
      }),
      { numRuns: NUM_RUNS },
    );
    expect(answered).toHaveLength(tally.resolved);
    expect(created).toHaveLength(tally.resolved);

    // No stream id was kept by a refused call, nor by a closed producer: with 'first' still
    // open, exactly STREAMS - 1 producers fit (once their ids have rested), and not one more.
    const held = await Promise.all(
      Array.from({ length: STREAMS - 1 }, (_, i) => transport.produceData({ label: `hold-${i}` })),
    );
    const full = await rejectionOf(transport.produceData({ label: 'one too many' }));
    for (const dataProducer of held) dataProducer.close();
    expectErrorClass(full, OperationError);
    expect((full as Error).message).toMatch(
      new RegExp(`^no free SCTP stream id: all ${STREAMS} streams of this transport are in use`),
    );
    const heldIds = held.map((p) => p.sctpStreamParameters.streamId);
    expect(new Set([...heldIds, firstStreamId]).size).toBe(STREAMS);
  } finally {
    transport.observer.off('newdataproducer', onNewDataProducer);
    transport.removeAllListeners('producedata');
    transport.on('producedata', (parameters, callback, errback) => {
      session.router.produceData(transport.id, parameters).then(callback, errback);
    });
  }
  expect(tally.resolved).toBeGreaterThan(NUM_RUNS / 10);
  expect(tally.rejected).toBeGreaterThan(NUM_RUNS / 10);

  expect(transport.connectionState).toBe('connected');
  await expectStillDelivers('after produceData barrage');
});

test(`produceData() with ${ROUTER_RUNS} random valid options through the router: the router takes those parameters, and a string and a binary message arrive with PPID 51 (56 if empty) and 53 and their bytes, or are refused when larger than maxBufferedAmount`, async () => {
  const seen: types.ProduceDataParameters[] = [];
  const onProduceData = (parameters: types.ProduceDataParameters): void => {
    seen.push(parameters);
  };
  transport.on('producedata', onProduceData);
  try {
    await fc.assert(
      fc.asyncProperty(
        validProduceDataOptions,
        fc.string({ maxLength: 64, unit: 'binary' }),
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        async (options, text, bytes) => {
          const expected = expectProduceData(options);
          if (!expected.valid)
            throw new Error(`generated invalid options: ${fc.stringify(options)}`);
          const seenBefore = seen.length;
          const dataProducer = await openProducer(transport, options);
          try {
            expect(seen).toHaveLength(seenBefore + 1);
            const parameters = seen[seenBefore];
            const { streamId, ...sctp } = parameters?.sctpStreamParameters ?? { streamId: -1 };
            expect(sctp).toStrictEqual(expected.sctp);
            expect(dataProducer.sctpStreamParameters).toStrictEqual({ streamId, ...expected.sctp });
            expect([parameters?.label, parameters?.protocol]).toEqual([
              expected.label,
              expected.protocol,
            ]);
            // The router made its DataProducer from those parameters, under the id given back.
            expect(session.router.hasDataProducer(dataProducer.id)).toBe(true);
            // Each message in turn, once the one before has arrived (so bufferedAmount is 0):
            // one larger than maxBufferedAmount is refused with OperationError, as documented.
            const limit = options.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT;
            const arrived: string[] = [];
            for (const [message, ppid] of [
              [text, text === '' ? 56 : 51],
              [bytes, 53],
            ] as const) {
              const content = typeof message === 'string' ? Buffer.from(message) : message;
              if (content.byteLength > limit) {
                expectErrorClass(
                  thrownBy(() => {
                    dataProducer.send(message);
                  }),
                  OperationError,
                );
                continue;
              }
              dataProducer.send(message);
              arrived.push(digest(ppid, content));
              const messages = await session.router.waitForMessages(arrived.length, {
                dataProducerId: dataProducer.id,
              });
              expect(messages.map(digestReceived)).toEqual(arrived);
            }
          } finally {
            dataProducer.close();
          }
        },
      ),
      { numRuns: ROUTER_RUNS },
    );
  } finally {
    transport.off('producedata', onProduceData);
  }
});

test(`send() with ${NUM_RUNS * 2} random values: takes each message or throws TypeError for what is no message or too large; everything taken arrives, in order, with its PPID and bytes, and nothing else`, async () => {
  const dataProducer = await openProducer(transport, { label: 'send-fuzz' });
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
  /** Each message send() took, as it must arrive, in send order. */
  const accepted: { ppid: number; bytes: Promise<Uint8Array> }[] = [];
  const tally = { refused: 0, full: 0 };
  fc.assert(
    fc.property(data, (value) => {
      const expected = expectSend(value);
      const bufferedBefore = dataProducer.bufferedAmount;
      let thrown: { error: unknown } | undefined;
      try {
        dataProducer.send(value as types.DataProducerSendData);
      } catch (error) {
        thrown = { error };
      }
      if (!expected.accepted) {
        if (!thrown) {
          throw new Error(`send() took ${expected.reason}: ${fc.stringify(value)}`);
        }
        expectErrorClass(thrown.error, TypeError);
        tally.refused++;
        return;
      }
      if (thrown) {
        // The one way a valid message may be refused: the buffer is full. bufferedAmount only
        // shrinks meanwhile (nothing else sends), so it was already full before the call.
        expectErrorClass(thrown.error, OperationError);
        expect(bufferedBefore + expected.size).toBeGreaterThan(DEFAULT_MAX_BUFFERED_AMOUNT);
        tally.full++;
        return;
      }
      accepted.push(expected);
    }),
    { numRuns: NUM_RUNS * 2 },
  );

  expect(accepted.length).toBeGreaterThan(50);
  expect(tally.refused).toBeGreaterThan(50);
  // A last message after all of them: once it is in, nothing refused can still come. (Only a
  // much longer barrage fills the buffer; then it has to drain first.)
  if (dataProducer.bufferedAmount > 0 && tally.full > 0)
    await once(dataProducer, 'bufferedamountlow', 30000);
  dataProducer.send('end of barrage');
  const messages = await session.router.waitForMessages(accepted.length + 1, {
    dataProducerId: dataProducer.id,
    timeoutMs: 30000,
  });
  const expectedDigests = await Promise.all(
    accepted.map(async ({ ppid, bytes }) => digest(ppid, await bytes)),
  );
  expect(messages.map(digestReceived)).toEqual([
    ...expectedDigests,
    digest(51, Buffer.from('end of barrage')),
  ]);
  expect(dataProducer.readyState).toBe('open');
  dataProducer.close();
  await expectStillDelivers('after send barrage');
});

test(`bufferedAmountLowThreshold set to ${NUM_RUNS} random values: takes an integer from 0 to 2^53 - 1, throws TypeError for anything else and keeps the previous one`, async () => {
  const dataProducer = await openProducer(transport, { label: 'threshold-fuzz' });
  const tally = { taken: 0, refused: 0 };
  fc.assert(
    fc.property(
      fc.oneof(weird, fc.integer(), fc.double(), fc.nat({ max: Number.MAX_SAFE_INTEGER })),
      (value) => {
        const before = dataProducer.bufferedAmountLowThreshold;
        let thrown: { error: unknown } | undefined;
        try {
          dataProducer.bufferedAmountLowThreshold = value as number;
        } catch (error) {
          thrown = { error };
        }
        if (isInt(value, 0, Number.MAX_SAFE_INTEGER)) {
          expect(thrown).toBeUndefined();
          expect(dataProducer.bufferedAmountLowThreshold).toBe(value);
          tally.taken++;
        } else {
          if (!thrown) throw new Error(`took ${fc.stringify(value)}`);
          expectErrorClass(thrown.error, TypeError);
          expect(dataProducer.bufferedAmountLowThreshold).toBe(before);
          tally.refused++;
        }
      },
    ),
    { numRuns: NUM_RUNS },
  );
  expect(tally.taken).toBeGreaterThan(NUM_RUNS / 10);
  expect(tally.refused).toBeGreaterThan(NUM_RUNS / 10);
  dataProducer.bufferedAmountLowThreshold = 0;
  dataProducer.send('threshold still fine');
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe('threshold still fine');
  dataProducer.close();
});

test(`createSendTransport() with ${NUM_RUNS} randomly broken parameters: returns a transport that reflects valid options, or throws TypeError for invalid ones and makes no transport`, async () => {
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
  const device = session.device;
  const announced: Transport[] = [];
  const onNewTransport = (created: Transport): void => {
    announced.push(created);
  };
  device.observer.on('newtransport', onNewTransport);
  const tally = { created: 0, thrown: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(options, async (value) => {
        const valid = transportOptionsValid(value);
        const announcedBefore = announced.length;
        let created: Transport | undefined;
        let thrown: unknown;
        try {
          created = device.createSendTransport(value as types.TransportOptions);
        } catch (error) {
          thrown = error;
        }
        if (!created) {
          if (valid) {
            throw new Error(
              `valid options refused with ${describeError(thrown)}: ${fc.stringify(value)}`,
            );
          }
          expectErrorClass(thrown, TypeError);
          expect(announced).toHaveLength(announcedBefore);
          tally.thrown++;
          return;
        }
        tally.created++;
        try {
          if (!valid) throw new Error(`invalid options were taken: ${fc.stringify(value)}`);
          const given = value as types.TransportOptions;
          expect(created).toBeInstanceOf(Transport);
          expect(announced).toHaveLength(announcedBefore + 1);
          expect(announced[announcedBefore]).toBe(created);
          expect(created.id).toBe(given.id);
          if (given.appData === undefined) expect(created.appData).toStrictEqual({});
          else expect(created.appData).toBe(given.appData);
          expect(created.closed).toBe(false);
          expect(created.direction).toBe('send');
          expect(created.connectionState).toBe('new');
          // Whether it took sctpParameters shows in produceData()'s first check that fails
          // (it has no listeners): UnsupportedError without SCTP, else the missing listener.
          const error = await rejectionOf(created.produceData());
          if (given.sctpParameters === undefined) {
            expectErrorClass(error, UnsupportedError);
          } else {
            expectErrorClass(error, TypeError);
            expect((error as Error).message).toBe('no "connect" listener set on this transport');
          }
          expect(created.connectionState).toBe('new');
        } finally {
          created.close();
        }
        expect(created.closed).toBe(true);
        expect(created.connectionState).toBe('closed');
      }),
      { numRuns: NUM_RUNS },
    );
  } finally {
    device.observer.off('newtransport', onNewTransport);
  }
  expect(tally.created).toBeGreaterThan(5);
  expect(tally.thrown).toBeGreaterThan(50);
  await expectStillDelivers('after createSendTransport barrage');
});

// sctpParameters: fields it does not read are ignored whatever they hold; the ones it reads
// must be what they should be.
test('createSendTransport() with an uncopyable value in sctpParameters ignores an unknown field and refuses a known one with TypeError', async () => {
  for (const value of [() => 1, Symbol('s'), Promise.resolve(1)]) {
    const withExtra = { ...params.sctpParameters, extra: value };
    const created = session.device.createSendTransport({
      ...params,
      sctpParameters: withExtra,
    } as types.TransportOptions);
    // It took the SCTP parameters: produceData() gets past the SCTP check (no UnsupportedError)
    // to the missing listener.
    const error = await rejectionOf(created.produceData());
    created.close();
    expectErrorClass(error, TypeError);
    expect((error as Error).message).toBe('no "connect" listener set on this transport');

    const badKnown = {
      ...params.sctpParameters,
      maxReceiveMessageSize: 262144,
      maxMessageSize: value,
    };
    let thrown: unknown;
    try {
      session.device
        .createSendTransport({
          ...params,
          sctpParameters: badKnown,
        } as unknown as types.TransportOptions)
        .close();
    } catch (caught) {
      thrown = caught;
    }
    expectErrorClass(thrown, TypeError);
    expect((thrown as Error).message).toBe(
      'sctpParameters.maxMessageSize must be a positive integer',
    );
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
      (p) => {
        // mediasoup >= 3.20 also gives `address`, which wins over `ip` as in mediasoup-client.
        const candidate = p.iceCandidates[0] as { ip: string; address?: string };
        candidate.ip = 'not an ip';
        if (candidate.address !== undefined) candidate.address = 'not an ip';
      },
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
  let producedata = 0;
  transport.on('producedata', (_parameters, callback) => {
    producedata++;
    callback({ id: 'lone-surrogate' });
  });
  const created: DataProducer[] = [];
  const onNewDataProducer = (dataProducer: DataProducer): void => {
    created.push(dataProducer);
  };
  transport.observer.on('newdataproducer', onNewDataProducer);
  for (const option of ['label', 'protocol'] as const) {
    const surrogate = await settle(() => transport.produceData({ [option]: 'a\uD800b' }));
    outcomes[`${option} with a lone surrogate`] =
      surrogate.kind === 'resolved' ? 'produceData() resolved' : describeError(surrogate.error);
    if (surrogate.kind === 'resolved') (surrogate.value as DataProducer).close();
  }
  transport.observer.off('newdataproducer', onNewDataProducer);
  transport.removeAllListeners('producedata');
  transport.on('producedata', (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(callback, errback);
  });

  for (const [name, outcome] of Object.entries(outcomes)) {
    expect(`${name}: ${outcome}`).toMatch(new RegExp(`^${escapeRegExp(name)}: TypeError: `));
  }
  expect(Object.keys(outcomes)).toHaveLength(broken.length + 2);
  // Refused before anything was done: no producedata was emitted, no producer made.
  expect(producedata).toBe(0);
  expect(created).toEqual([]);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function expectStillDelivers(marker: string): Promise<void> {
  const dataProducer = await openProducer(transport, { label: marker });
  dataProducer.send(marker);
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  expect(message?.data.toString()).toBe(marker);
  expect(message?.ppid).toBe(51);
  expect(dataProducer.label).toBe(marker);
  dataProducer.close();
}

import {
  InvalidStateError,
  UnsupportedError,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { createTransport, type Session, useSessionPerFile } from '../support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

/** A transport with no listeners: the guards see it as the user left it. */
async function bareTransport(options: Partial<types.TransportOptions> = {}): Promise<Transport> {
  const params = await session.router.createWebRtcTransport();
  const transport = session.device.createSendTransport({ ...params, ...options });
  session.transports.push(transport);
  return transport;
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
    const transport = await createTransport(session);
    transport.close();

    await expect(transport.produceData()).rejects.toThrow(InvalidStateError);
  });

  test('transport.produceData() on a transport without sctpParameters rejects with UnsupportedError', async () => {
    const transport = await createTransport(session, { client: { sctpParameters: undefined } });

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
    const transport = await createTransport(session);
    await transport.produceData();
    transport.removeAllListeners('connect');

    const second = await transport.produceData();

    expect(second.sctpStreamParameters.streamId).toBe(1);
  });

  test('transport.produceData() guards run in order: closed, then no SCTP, then listeners, then arguments', async () => {
    // Each transport fails every check from its own on: only the first may decide the error.
    const closedNoSctpNoListeners = await bareTransport({ sctpParameters: undefined });
    closedNoSctpNoListeners.close();
    const noSctpNoListeners = await bareTransport({ sctpParameters: undefined });
    const noListeners = await bareTransport();
    const badArgumentsOnly = await createTransport(session);

    await expect(produceWith(closedNoSctpNoListeners, BAD_ARGUMENTS)).rejects.toThrow(
      InvalidStateError,
    );
    await expect(produceWith(noSctpNoListeners, BAD_ARGUMENTS)).rejects.toThrow(UnsupportedError);
    await expect(produceWith(noListeners, BAD_ARGUMENTS)).rejects.toThrow(
      new TypeError('no "connect" listener set on this transport'),
    );
    await expect(produceWith(badArgumentsOnly, BAD_ARGUMENTS)).rejects.toThrow(
      new TypeError('maxRetransmits must be an integer from 0 to 65535'),
    );
  });

  test('transport.produceData() rejected by a guard emits neither connect nor producedata', async () => {
    const transport = await createTransport(session);
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
      const transport = await createTransport(session);

      await expect(produceWith(transport, { [option]: value })).rejects.toThrow(
        new TypeError(`${option} must be an integer from 0 to 65535`),
      );
    },
  );

  test('transport.produceData() with maxPacketLifeTime 0 and maxRetransmits 65535 resolves with unordered channels', async () => {
    const transport = await createTransport(session);
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
    const transport = await createTransport(session);

    await expect(
      produceWith(transport, { maxPacketLifeTime: 10, maxRetransmits: 1 }),
    ).rejects.toThrow(/cannot both be given/);
  });

  test.each(['maxPacketLifeTime', 'maxRetransmits'])(
    'transport.produceData() with ordered: true and %s rejects with TypeError and never sends producedata',
    async (option) => {
      const transport = await createTransport(session);
      const produced = recordProduceData(transport);

      await expect(produceWith(transport, { ordered: true, [option]: 3 })).rejects.toThrow(
        TypeError,
      );

      expect(produced).toEqual([]);
    },
  );

  test('transport.produceData() with ordered: false and maxRetransmits keeps them as given', async () => {
    const transport = await createTransport(session);

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
      const transport = await createTransport(session);

      await expect(produceWith(transport, { [option]: value })).rejects.toThrow(
        new RegExp(`^${option} must be at most 65535 bytes`),
      );
    },
  );

  test('transport.produceData() with a label and protocol of 65535 UTF-8 bytes resolves and sends them whole', async () => {
    const transport = await createTransport(session);
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
    const transport = await createTransport(session);

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
    const transport = await createTransport(session);

    await expect(produceWith(transport, { appData })).rejects.toThrow(
      new TypeError('appData must be a plain object'),
    );
  });

  test('transport.produceData() with appData gives it to producedata and to dataProducer.appData', async () => {
    const transport = await createTransport(session);
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
    const transport = await createTransport(session);

    await expect(produceWith(transport, options)).rejects.toThrow(TypeError);
  });

  test("transport.produceData() with ordered: 'yes' rejects with TypeError", async () => {
    const transport = await createTransport(session);

    await expect(produceWith(transport, { ordered: 'yes' })).rejects.toThrow(
      /ordered must be a boolean/,
    );
  });
});

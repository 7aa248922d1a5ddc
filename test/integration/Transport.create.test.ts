import { type Transport, type types } from 'mediasoup-data-producer';

import type { LocalTransportParameters } from '../../src/local-router/index.js';
import { deepFreeze, isDeepFrozen } from '../support/deepFreeze.js';
import {
  type Session,
  useSessionPerFile,
  openProducer,
  signalThroughLocalRouter,
} from '../support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

/** A send transport on the given router parameters, signaling to the local router. */
function createSendTransport(options: types.TransportOptions): Transport {
  const transport = session.device.createSendTransport(options);
  signalThroughLocalRouter(session, transport);
  return transport;
}

/** The router's sctpParameters as mediasoup >= 3.20 gives them. */
function to320Shape(
  sctp: LocalTransportParameters['sctpParameters'],
  maxSendMessageSize: number,
): types.SctpParameters {
  if (!sctp) throw new Error('the router gave no sctpParameters');
  const { port, maxMessageSize } = sctp;
  return { port, maxSendMessageSize, maxReceiveMessageSize: Number(maxMessageSize) };
}

describe('device.createSendTransport() options validation', () => {
  const sha1Only = { fingerprints: [{ algorithm: 'sha-1', value: 'AB:CD' }] };
  const cases: [field: string, label: string, value: unknown][] = [
    ['id', 'missing', undefined],
    ['id', 'empty', ''],
    ['id', 'a number', 42],
    ['iceParameters', 'missing', undefined],
    ['iceParameters', 'a string', 'ice'],
    ['iceParameters', 'without password', { usernameFragment: 'u' }],
    ['iceCandidates', 'missing', undefined],
    ['iceCandidates', 'empty', []],
    [
      'iceCandidates',
      'with a bad port',
      [{ foundation: 'f', priority: 1, ip: '127.0.0.1', protocol: 'udp', port: 'x', type: 'host' }],
    ],
    ['dtlsParameters', 'missing', undefined],
    ['dtlsParameters', 'without fingerprints', { role: 'auto', fingerprints: [] }],
    [
      'dtlsParameters',
      'with a bad role',
      { role: 'both', fingerprints: [{ algorithm: 'sha-256', value: 'AB' }] },
    ],
    ['dtlsParameters', 'without a sha-256 fingerprint', sha1Only],
    ['sctpParameters', 'a string', 'sctp'],
    ['sctpParameters', 'without a max message size', { port: 5000, OS: 1024, MIS: 1024 }],
    ['sctpParameters', 'with port 0', { port: 0, maxMessageSize: 262144 }],
    ['sctpParameters', 'with MIS 0', { port: 5000, MIS: 0, maxMessageSize: 262144 }],
    ['iceServers', 'a URL string', 'stun:127.0.0.1:3478'],
    ['iceServers', 'with an http: URL', [{ urls: 'http://127.0.0.1' }]],
    ['iceServers', 'with a URL without host', [{ urls: 'stun:' }]],
    ['iceServers', 'with TURN without credentials', [{ urls: 'turn:127.0.0.1:3478' }]],
    ['iceTransportPolicy', "'none'", 'none'],
    ['iceTransportPolicy', 'a number', 1],
    ['appData', 'an array', []],
    ['appData', 'a Map', new Map()],
    ['appData', 'a string', 'data'],
    ['signalingTimeout', '0', 0],
    ['signalingTimeout', 'negative', -300],
    ['signalingTimeout', 'a string', '300'],
  ];

  test.each(cases)(
    'device.createSendTransport() with %s %s throws TypeError naming the field',
    async (field, _label, value) => {
      const params = await session.router.createWebRtcTransport();
      const options = { ...params, [field]: value } as unknown as types.TransportOptions;

      expect(() => session.device.createSendTransport(options)).toThrow(TypeError);
      expect(() => session.device.createSendTransport(options)).toThrow(new RegExp(`^${field}\\b`));
    },
  );

  test.each([
    ['undefined', undefined],
    ['a string', 'options'],
    ['an array', []],
  ])('device.createSendTransport() with options %s throws TypeError', (_label, options) => {
    expect(() =>
      session.device.createSendTransport(options as unknown as types.TransportOptions),
    ).toThrow(TypeError);
  });

  test('device.createSendTransport() with options from another realm (structuredClone() under Jest) accepts them and delivers a message', async () => {
    const params = await session.router.createWebRtcTransport();
    const options = structuredClone(params);
    expect(Object.getPrototypeOf(options.iceParameters)).not.toBe(Object.prototype);
    const transport = createSendTransport(options);

    const dataProducer = await openProducer(transport, structuredClone({ label: 'realm' }));
    dataProducer.send('from another realm');

    const [message] = await session.router.waitForMessages(1, {
      dataProducerId: dataProducer.id,
    });
    expect(message?.data.toString()).toBe('from another realm');
  });

  test('device.createSendTransport() with valid router parameters gives a transport with their id', async () => {
    const params = await session.router.createWebRtcTransport();

    const transport = createSendTransport(params);

    expect(transport.id).toBe(params.id);
  });
});

describe('device.createSendTransport() sctpParameters shapes', () => {
  test('device.createSendTransport() with mediasoup 3.20 sctpParameters { port, maxSendMessageSize, maxReceiveMessageSize } delivers a message end to end', async () => {
    const params = await session.router.createWebRtcTransport();
    expect(params.sctpParameters).toMatchObject({ maxMessageSize: 262144 });
    const sctpParameters = to320Shape(params.sctpParameters, 262144);
    expect(Object.keys(sctpParameters).sort()).toEqual([
      'maxReceiveMessageSize',
      'maxSendMessageSize',
      'port',
    ]);
    const transport = createSendTransport({ ...params, sctpParameters });

    const dataProducer = await openProducer(transport, { label: 'shape-3.20' });
    dataProducer.send('over the 3.20 shape');

    const [message] = await session.router.waitForMessages(1, {
      dataProducerId: dataProducer.id,
    });
    expect(message?.data.toString()).toBe('over the 3.20 shape');
  });

  test.each([
    ['mediasoup 3.8 maxMessageSize', (p: LocalTransportParameters) => p.sctpParameters],
    [
      'mediasoup 3.20 maxReceiveMessageSize (maxSendMessageSize larger)',
      (p: LocalTransportParameters) => to320Shape(p.sctpParameters, 262144),
    ],
  ])(
    'dataProducer.send() with %s sends messages up to the router receive limit and throws TypeError for limit+1 bytes',
    async (_shape, sctpParametersOf) => {
      const limit = 65536;
      const params = await session.router.createWebRtcTransport({ maxSctpMessageSize: limit });
      const transport = createSendTransport({
        ...params,
        sctpParameters: sctpParametersOf(params),
      });
      const dataProducer = await openProducer(transport);

      expect(() => {
        dataProducer.send(new Uint8Array(limit + 1));
      }).toThrow(TypeError);
      expect(() => {
        dataProducer.send('x'.repeat(limit + 1));
      }).toThrow(TypeError);
      dataProducer.send(new Uint8Array(limit).fill(7));

      const [message] = await session.router.waitForMessages(1, {
        dataProducerId: dataProducer.id,
      });
      expect(message?.data.length).toBe(limit);
      expect(message?.data.every((byte) => byte === 7)).toBe(true);
    },
  );
});

describe('deep-frozen inputs', () => {
  test('device.createSendTransport() and transport.produceData() with deep-frozen options accept them, never mutate them and deliver a message', async () => {
    const params = await session.router.createWebRtcTransport();
    // A copy: the router's own objects must stay writable (mediasoup updates them).
    const transportOptions = deepFreeze({
      ...structuredClone(params),
      iceServers: [{ urls: ['stun:127.0.0.1:3478'] }],
      iceTransportPolicy: 'all' as const,
      appData: { room: { name: 'frozen', tags: ['a', 'b'] } },
      signalingTimeout: 10000,
    });
    const produceOptions = deepFreeze({
      label: 'frozen',
      protocol: 'json',
      ordered: false,
      maxRetransmits: 5,
      appData: { kind: { nested: [1, 2, 3] } },
    });
    const transportSnapshot = structuredClone(transportOptions);
    const produceSnapshot = structuredClone(produceOptions);

    const transport = createSendTransport(transportOptions);
    const dataProducer = await openProducer(transport, produceOptions);
    dataProducer.send('frozen');
    const [message] = await session.router.waitForMessages(1, {
      dataProducerId: dataProducer.id,
    });

    expect(message?.data.toString()).toBe('frozen');
    expect(dataProducer.label).toBe('frozen');
    expect(dataProducer.sctpStreamParameters).toMatchObject({ ordered: false, maxRetransmits: 5 });
    expect(transportOptions).toEqual(transportSnapshot);
    expect(produceOptions).toEqual(produceSnapshot);
    expect(isDeepFrozen(transportOptions)).toBe(true);
    expect(isDeepFrozen(produceOptions)).toBe(true);
  });

  test('transport.updateIceServers() with deep-frozen options accepts them and never mutates them', async () => {
    const params = await session.router.createWebRtcTransport();
    const transport = createSendTransport(params);
    const options = deepFreeze({
      iceServers: [
        { urls: 'stun:127.0.0.1:3478' },
        { urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' },
      ],
    });
    const snapshot = structuredClone(options);

    await transport.updateIceServers(options);

    expect(options).toEqual(snapshot);
    expect(isDeepFrozen(options)).toBe(true);
  });
});

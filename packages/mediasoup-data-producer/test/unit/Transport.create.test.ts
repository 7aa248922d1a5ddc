// createSendTransport()'s validation and what the transport gives its handler, on
// FakeHandler: router-shaped parameters, no router.
import { type Device, type Transport, type types } from 'mediasoup-data-producer';

import { deepFreeze, isDeepFrozen } from '@test-support/deepFreeze.js';
import { fakeDevice, handlerOf, routerTransportParameters } from '@test-support/fakeSession.js';

let device: Device;
const transports: Transport[] = [];

beforeEach(async () => {
  device = await fakeDevice();
});

afterEach(() => {
  for (const transport of transports.splice(0)) transport.close();
});

function createSendTransport(options: types.TransportOptions): Transport {
  const transport = device.createSendTransport(options);
  transports.push(transport);
  return transport;
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
    ['additionalSettings', 'a string', 'settings'],
    ['additionalSettings', 'an array', []],
    ['additionalSettings', "with bundlePolicy 'one'", { bundlePolicy: 'one' }],
    ['additionalSettings', "with rtcpMuxPolicy 'never'", { rtcpMuxPolicy: 'never' }],
    ['additionalSettings', 'with iceCandidatePoolSize -1', { iceCandidatePoolSize: -1 }],
    ['additionalSettings', 'with certificates not an array', { certificates: {} }],
    ['additionalSettings', 'with iceServers a URL string', { iceServers: 'stun:127.0.0.1' }],
    ['additionalSettings', "with iceTransportPolicy 'none'", { iceTransportPolicy: 'none' }],
    ['proprietaryConstraints', 'a string', 'goog'],
    ['proprietaryConstraints', 'an array', [{ googDscp: true }]],
  ];

  test.each(cases)(
    'device.createSendTransport() with %s %s throws TypeError naming the field',
    (field, _label, value) => {
      const options = {
        ...routerTransportParameters(),
        [field]: value,
      } as unknown as types.TransportOptions;

      expect(() => device.createSendTransport(options)).toThrow(TypeError);
      expect(() => device.createSendTransport(options)).toThrow(new RegExp(`^${field}\\b`));
    },
  );

  test.each([
    ['undefined', undefined],
    ['a string', 'options'],
    ['an array', []],
  ])('device.createSendTransport() with options %s throws TypeError', (_label, options) => {
    expect(() => device.createSendTransport(options as unknown as types.TransportOptions)).toThrow(
      TypeError,
    );
  });

  test('device.createSendTransport() with options from another realm (structuredClone() under Jest) accepts them and runs the handler with equal copies', () => {
    const params = routerTransportParameters();
    const options = structuredClone(params);
    expect(Object.getPrototypeOf(options.iceParameters)).not.toBe(Object.prototype);

    const transport = createSendTransport(options);

    expect(transport.id).toBe(params.id);
    expect(handlerOf(transport).runOptions?.iceParameters).toEqual(params.iceParameters);
    expect(handlerOf(transport).runOptions?.dtlsParameters).toEqual(params.dtlsParameters);
  });

  test('device.createSendTransport() with valid router parameters gives a transport with their id', () => {
    const params = routerTransportParameters();

    const transport = createSendTransport(params);

    expect(transport.id).toBe(params.id);
  });

  test('device.createSendTransport() copies what it validates: changing the given options afterwards changes nothing the handler has', () => {
    const params = routerTransportParameters();
    const transport = createSendTransport(params);

    params.iceParameters.password = 'changed';
    const [candidate] = params.iceCandidates;
    if (candidate) candidate.port = 1;
    params.dtlsParameters.fingerprints.length = 0;

    const run = handlerOf(transport).runOptions;
    expect(run?.iceParameters.password).toBe('pwd1234567890abcdef');
    expect(run?.iceCandidates[0]?.port).toBe(40000);
    expect(run?.dtlsParameters.fingerprints).toHaveLength(1);
  });
});

describe('deep-frozen inputs', () => {
  test('device.createSendTransport() and transport.produceData() with deep-frozen options accept them and never mutate them', async () => {
    const transportOptions = deepFreeze({
      ...routerTransportParameters(),
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
    transport.on('connect', (_parameters, callback) => {
      callback();
    });
    transport.on('producedata', (_parameters, callback) => {
      callback({ id: 'frozen' });
    });

    const dataProducer = await transport.produceData(produceOptions);

    expect(dataProducer.label).toBe('frozen');
    expect(dataProducer.sctpStreamParameters).toMatchObject({ ordered: false, maxRetransmits: 5 });
    expect(transportOptions).toEqual(transportSnapshot);
    expect(produceOptions).toEqual(produceSnapshot);
    expect(isDeepFrozen(transportOptions)).toBe(true);
    expect(isDeepFrozen(produceOptions)).toBe(true);
  });

  test('transport.updateIceServers() with deep-frozen options accepts them, never mutates them and gives the handler a copy', async () => {
    const transport = createSendTransport(routerTransportParameters());
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
    expect(handlerOf(transport).iceServers).toEqual([
      { urls: ['stun:127.0.0.1:3478'] },
      { urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' },
    ]);
  });
});

describe("mediasoup-client's transport options", () => {
  const stun = [{ urls: ['stun:127.0.0.1:3478'] }];

  test("device.createSendTransport({ additionalSettings }) gives the handler additionalSettings' iceServers and iceTransportPolicy", () => {
    const transport = createSendTransport({
      ...routerTransportParameters(),
      additionalSettings: { iceServers: stun, iceTransportPolicy: 'relay' },
    });

    expect(handlerOf(transport).runOptions).toMatchObject({
      iceServers: stun,
      iceTransportPolicy: 'relay',
    });
  });

  test('device.createSendTransport() with the same iceServers and iceTransportPolicy in the options and in additionalSettings accepts them', () => {
    const transport = createSendTransport({
      ...routerTransportParameters(),
      iceServers: stun,
      iceTransportPolicy: 'relay',
      additionalSettings: {
        iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
        iceTransportPolicy: 'relay',
      },
    });

    expect(handlerOf(transport).runOptions).toMatchObject({
      iceServers: stun,
      iceTransportPolicy: 'relay',
    });
  });

  test.each([
    ['iceServers', { iceServers: stun, additionalSettings: { iceServers: [] } }],
    [
      'iceTransportPolicy',
      { iceTransportPolicy: 'all', additionalSettings: { iceTransportPolicy: 'relay' } },
    ],
  ])(
    'device.createSendTransport() with %s contradicting additionalSettings throws TypeError',
    (field, overrides) => {
      const options = {
        ...routerTransportParameters(),
        ...overrides,
      } as unknown as types.TransportOptions;

      expect(() => device.createSendTransport(options)).toThrow(
        new TypeError(
          `${field} and additionalSettings.${field} contradict each other: give it once, or the same in both`,
        ),
      );
    },
  );

  test("device.createSendTransport() and createRecvTransport() accept a browser's other RTCConfiguration members and proprietaryConstraints, and run the handler as without them", () => {
    const params = routerTransportParameters();
    const plain = createSendTransport(params);
    const browserOptions = {
      ...params,
      additionalSettings: {
        bundlePolicy: 'max-bundle',
        rtcpMuxPolicy: 'require',
        iceCandidatePoolSize: 0,
        certificates: [],
        encodedInsertableStreams: true,
      },
      proprietaryConstraints: { optional: [{ googDscp: true }] },
    } satisfies types.TransportOptions;

    const send = createSendTransport(browserOptions);
    const recv = device.createRecvTransport(browserOptions);
    transports.push(recv);

    expect(handlerOf(send).runOptions).toEqual(handlerOf(plain).runOptions);
    expect(handlerOf(recv).runOptions).toEqual({
      ...handlerOf(plain).runOptions,
      direction: 'recv',
    });
  });
});

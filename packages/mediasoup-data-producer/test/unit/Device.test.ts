// The Device: no router is needed, only capabilities and transport parameters shaped like a
// router's. Transports run on FakeHandler.
import {
  Device,
  FakeHandler,
  InvalidStateError,
  type Transport,
  UnsupportedError,
  type types,
} from 'mediasoup-data-producer';

import { once } from '@test-support/events.js';
import { ROUTER_RTP_CAPABILITIES, routerTransportParameters } from '@test-support/fakeSession.js';

const router = {
  rtpCapabilities: ROUTER_RTP_CAPABILITIES,
  createWebRtcTransport: (): Promise<types.TransportOptions> =>
    Promise.resolve(routerTransportParameters()),
};
let device: Device;
const transports: Transport[] = [];

beforeEach(() => {
  device = new Device({ handlerFactory: FakeHandler.createFactory() });
});

afterEach(() => {
  for (const transport of transports.splice(0)) transport.close();
});

test('device.load() with the router rtpCapabilities resolves and sets loaded', async () => {
  expect(device.loaded).toBe(false);

  await device.load({ routerRtpCapabilities: router.rtpCapabilities });

  expect(device.loaded).toBe(true);
});

test.each([
  ['undefined', undefined],
  ['null', null],
  ['a string', 'caps'],
  ['an array', []],
  ['a number', 1],
])(
  'device.load() with routerRtpCapabilities %s rejects with TypeError and stays unloaded',
  async (_name, routerRtpCapabilities) => {
    await expect(
      device.load({ routerRtpCapabilities } as unknown as types.DeviceLoadOptions),
    ).rejects.toThrow(TypeError);
    await expect(
      device.load({ routerRtpCapabilities } as unknown as types.DeviceLoadOptions),
    ).rejects.toThrow(/routerRtpCapabilities/);
    expect(device.loaded).toBe(false);
  },
);

test('device.load() without options rejects with TypeError', async () => {
  await expect(device.load(undefined as unknown as types.DeviceLoadOptions)).rejects.toThrow(
    TypeError,
  );
});

test('device.load() twice rejects with InvalidStateError', async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });

  await expect(device.load({ routerRtpCapabilities: router.rtpCapabilities })).rejects.toThrow(
    InvalidStateError,
  );
  expect(device.loaded).toBe(true);
});

test("device.sctpCapabilities is { numStreams: { OS: 1024, MIS: 1024 } } and a caller's change does not stick", async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const capabilities = device.sctpCapabilities;
  expect(capabilities).toEqual({ numStreams: { OS: 1024, MIS: 1024 } });

  capabilities.numStreams.OS = 1;

  expect(device.sctpCapabilities).toEqual({ numStreams: { OS: 1024, MIS: 1024 } });
});

test('device.rtpCapabilities of a loaded device has no codec and no header extension, and a fresh object each time', async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });

  const rtpCapabilities = device.rtpCapabilities;
  expect(rtpCapabilities).toEqual({ codecs: [], headerExtensions: [] });
  (rtpCapabilities.codecs as unknown[]).push({ mimeType: 'audio/opus' });
  expect(device.rtpCapabilities).toEqual({ codecs: [], headerExtensions: [] });
});

test('device.rtpCapabilities before load() throws InvalidStateError, as in mediasoup-client', () => {
  expect(() => device.rtpCapabilities).toThrow(InvalidStateError);
});

test('device.load({ preferLocalCodecsOrder }) takes a boolean and rejects anything else with TypeError', async () => {
  await expect(
    device.load({
      routerRtpCapabilities: router.rtpCapabilities,
      preferLocalCodecsOrder: 'yes',
    } as unknown as types.DeviceLoadOptions),
  ).rejects.toThrow(new TypeError('preferLocalCodecsOrder must be a boolean'));
  expect(device.loaded).toBe(false);

  await device.load({
    routerRtpCapabilities: router.rtpCapabilities,
    preferLocalCodecsOrder: true,
  });
  expect(device.loaded).toBe(true);
});

test('device.createSendTransport() before load() throws InvalidStateError', async () => {
  const params = await router.createWebRtcTransport();

  expect(() => device.createSendTransport(params)).toThrow(InvalidStateError);
});

test('device.observer emits newtransport with the transport that createSendTransport() returns', async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const params = await router.createWebRtcTransport();
  const newTransport = once<[Transport]>(device.observer, 'newtransport');

  const transport = device.createSendTransport(params);
  transports.push(transport);

  const [emitted] = await newTransport;
  expect(emitted).toBe(transport);
  expect(transport.id).toBe(params.id);
});

test('device.createSendTransport() with bad options throws TypeError and emits no newtransport', async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const params = await router.createWebRtcTransport();
  const emitted: Transport[] = [];
  device.observer.on('newtransport', (transport: Transport) => emitted.push(transport));

  expect(() => device.createSendTransport({ ...params, id: '' })).toThrow(TypeError);
  await new Promise((resolve) => setImmediate(resolve));

  expect(emitted).toEqual([]);
});

test('device.canProduce() is false for audio and video', async () => {
  expect(() => device.canProduce('audio')).toThrow(InvalidStateError);
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });

  expect(device.canProduce('audio')).toBe(false);
  expect(device.canProduce('video')).toBe(false);
});

test('device.sctpCapabilities before load() throws InvalidStateError, as in mediasoup-client', () => {
  expect(() => new Device().sctpCapabilities).toThrow(InvalidStateError);
});

test('device.canProduce() with a kind other than audio or video throws TypeError', async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  expect(() => device.canProduce('data' as 'audio')).toThrow(/invalid kind "data"/);
});

describe('new Device(options)', () => {
  test("new Device() without options has handlerName 'node-datachannel' and creates no native peer", () => {
    const plain = new Device();
    const empty = new Device({});
    const undefinedFactory = new Device({ handlerFactory: undefined });

    expect([plain, empty, undefinedFactory].map((d) => d.handlerName)).toEqual([
      'node-datachannel',
      'node-datachannel',
      'node-datachannel',
    ]);
  });

  test('new Device({ handlerFactory }) takes its handlerName from the handler, and each transport gets a handler of its own from the factory', async () => {
    const made: FakeHandler[] = [];
    const counting = new Device({
      handlerFactory: () => {
        const handler = new FakeHandler();
        made.push(handler);
        return handler;
      },
    });
    await counting.load({ routerRtpCapabilities: router.rtpCapabilities });

    const a = counting.createSendTransport(await router.createWebRtcTransport());
    const b = counting.createSendTransport(await router.createWebRtcTransport());
    transports.push(a, b);

    expect(counting.handlerName).toBe('FakeHandler');
    // One made by the constructor to learn the name (and closed at once), one per transport.
    expect(made).toHaveLength(3);
    expect(made[0]?.closed).toBe(true);
    expect([a.handler, b.handler]).toEqual([made[1], made[2]]);
    expect(made[1]?.runOptions?.id).toBe(a.id);
  });

  test.each([
    ['a string', 'FakeHandler'],
    ['an object', {}],
    ['null', null],
    ['a handler instead of a factory', new FakeHandler()],
  ])('new Device({ handlerFactory: %s }) throws TypeError', (_label, handlerFactory) => {
    expect(() => new Device({ handlerFactory } as unknown as types.DeviceOptions)).toThrow(
      new TypeError('handlerFactory must be a function that returns a handler'),
    );
  });

  test.each([
    ['undefined', () => undefined],
    ['an object without a name', () => ({ close: () => undefined })],
    ['a string', () => 'FakeHandler'],
  ])(
    'new Device({ handlerFactory }) whose factory returns %s throws TypeError',
    (_label, factory) => {
      expect(
        () => new Device({ handlerFactory: factory } as unknown as types.DeviceOptions),
      ).toThrow(TypeError);
      expect(
        () => new Device({ handlerFactory: factory } as unknown as types.DeviceOptions),
      ).toThrow(/^handlerFactory must return a handler/);
    },
  );

  test.each([
    ['a string', 'options'],
    ['an array', []],
    ['null', null],
  ])('new Device() with options %s throws TypeError', (_label, options) => {
    expect(() => new Device(options as unknown as types.DeviceOptions)).toThrow(
      new TypeError('new Device() options must be a plain object'),
    );
  });

  test('new Device({ handlerFactory }) whose factory throws throws that error', () => {
    const failure = new Error('no handler today');

    expect(
      () =>
        new Device({
          handlerFactory: () => {
            throw failure;
          },
        }),
    ).toThrow(failure);
  });

  test.each([
    ['node-datachannel', 'node-datachannel'],
    ['FakeHandler', 'FakeHandler'],
  ])(
    "new Device({ handlerName: '%s' }) runs its transports on that handler",
    async (handlerName, expected) => {
      const named = new Device({ handlerName });
      await named.load({ routerRtpCapabilities: router.rtpCapabilities });
      const transport = named.createSendTransport(await router.createWebRtcTransport());
      transports.push(transport);

      expect(named.handlerName).toBe(expected);
      expect(transport.handler.name).toBe(expected);
    },
  );

  test.each(['Chrome111', 'Chrome74', 'Firefox120', 'Safari12', 'ReactNative106', 'toString'])(
    "new Device({ handlerName: '%s' }) throws UnsupportedError naming the handlers there are",
    (handlerName) => {
      expect(() => new Device({ handlerName })).toThrow(UnsupportedError);
      expect(() => new Device({ handlerName })).toThrow(
        `handlerName '${handlerName}' names no handler of this library: it has 'node-datachannel' and 'FakeHandler'`,
      );
    },
  );

  test('Device.factory(options) resolves with a device made from the same options, and rejects with what the constructor throws', async () => {
    const device = await Device.factory({ handlerName: 'FakeHandler' });

    expect(device).toBeInstanceOf(Device);
    expect(device.handlerName).toBe('FakeHandler');
    expect((await Device.factory()).handlerName).toBe('node-datachannel');
    await expect(Device.factory({ handlerName: 'Chrome111' })).rejects.toThrow(UnsupportedError);
  });

  test('new Device({ handlerName }) that is not a string throws TypeError', () => {
    expect(() => new Device({ handlerName: 1 } as unknown as types.DeviceOptions)).toThrow(
      new TypeError('handlerName must be a string'),
    );
  });

  test('new Device({ handlerName, handlerFactory }) throws TypeError: they contradict each other', () => {
    expect(
      () => new Device({ handlerName: 'FakeHandler', handlerFactory: FakeHandler.createFactory() }),
    ).toThrow(new TypeError('new Device() takes handlerName or handlerFactory, not both'));
  });
});

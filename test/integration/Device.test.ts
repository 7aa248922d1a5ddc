import { Device, InvalidStateError, type Transport, type types } from 'mediasoup-data-producer';

import { LocalRouter } from '../../src/local-router/index.js';
import { once } from '../support/session.js';

// One real router for the file (it only hands out capabilities and transports); every
// test gets a fresh Device, and its transports are closed after it.
let router: LocalRouter;
let device: Device;
const transports: Transport[] = [];

beforeAll(async () => {
  router = await LocalRouter.start();
});

afterAll(async () => {
  await router.close();
});

beforeEach(() => {
  device = new Device();
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

test("device.canProduce() is false for audio and video, and handlerName is 'node-datachannel'", async () => {
  expect(() => device.canProduce('audio')).toThrow(InvalidStateError);
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });

  expect(device.canProduce('audio')).toBe(false);
  expect(device.canProduce('video')).toBe(false);
  expect(device.handlerName).toBe('node-datachannel');
});

test('device.sctpCapabilities before load() throws InvalidStateError, as in mediasoup-client', () => {
  expect(() => new Device().sctpCapabilities).toThrow(InvalidStateError);
});

test('device.canProduce() with a kind other than audio or video throws TypeError', async () => {
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  expect(() => device.canProduce('data' as 'audio')).toThrow(/invalid kind "data"/);
});

// device.rtpCapabilities against the router's own checks: apps send them in their `join`
// and the server asks `router.canConsume()` before it creates a Consumer. mediasoup's
// canConsume() catches whatever its validation throws and answers false, so the validation
// is also run directly, through mediasoup's own ortc module, which throws on capabilities it
// refuses. The router is the version the tests run against (MEDIASOUP_VERSION).
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { Device } from 'mediasoup-data-producer';
import { workerBinary } from 'mediasoup-local-router';

import {
  checkMediasoupPackage,
  locateMediasoup,
  requireMediasoup,
  versionAtLeast,
} from '../../../mediasoup-local-router/src/loadMediasoup.js';

/** The few members of mediasoup's API used here (mediasoup is not a dependency). */
interface Producer {
  id: string;
  consumableRtpParameters: object;
}
interface Router {
  rtpCapabilities: object;
  canConsume(options: { producerId: string; rtpCapabilities: object }): boolean;
  createDirectTransport(): Promise<{ produce(options: object): Promise<Producer> }>;
}
interface Worker {
  close(): void;
  createRouter(options: { mediaCodecs: object[] }): Promise<Router>;
}
interface Ortc {
  canConsume(consumableRtpParameters: object, rtpCapabilities: object): boolean;
}

const OPUS = { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 };

let worker: Worker;
let router: Router;
let producer: Producer;
let ortc: Ortc;

beforeAll(async () => {
  const location = locateMediasoup();
  const version = checkMediasoupPackage(location);
  const mediasoup = requireMediasoup(location.dir) as unknown as {
    createWorker(options: object): Promise<Worker>;
  };
  // mediasoup >= 3.9 moved its sources from lib/ to node/lib/.
  const ortcPath = join(
    location.dir,
    versionAtLeast(version, '3.9.0') ? 'node/lib' : 'lib',
    'ortc',
  );
  ortc = createRequire(join(location.dir, 'package.json'))(ortcPath) as Ortc;
  worker = await mediasoup.createWorker({
    logLevel: 'warn',
    workerBin: workerBinary(location.dir, process.env).path,
  });
  router = await worker.createRouter({ mediaCodecs: [OPUS] });
  const direct = await router.createDirectTransport();
  producer = await direct.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 11111111 }],
    },
  });
});

afterAll(() => {
  worker.close();
});

async function loadedDevice(): Promise<Device> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  return device;
}

test("router.canConsume() of an audio Producer with device.rtpCapabilities answers false, and with the router's own capabilities true", async () => {
  const device = await loadedDevice();

  expect(
    router.canConsume({ producerId: producer.id, rtpCapabilities: device.rtpCapabilities }),
  ).toBe(false);
  expect(
    router.canConsume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities }),
  ).toBe(true);
});

test("mediasoup's own validation takes device.rtpCapabilities (it answers false, no throw), and throws on capabilities it refuses", async () => {
  const device = await loadedDevice();

  expect(ortc.canConsume(producer.consumableRtpParameters, device.rtpCapabilities)).toBe(false);
  expect(() =>
    ortc.canConsume(producer.consumableRtpParameters, { codecs: [{ mimeType: 'opus' }] }),
  ).toThrow();
});

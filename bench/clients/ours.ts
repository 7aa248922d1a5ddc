// Ours: mediasoup-data-producer's Device (mediasoup-client's API on node-datachannel).
import { Device } from '../../src/index.js';

import { openMsLikeChannel, type MsLikeDevice } from './msLike.js';
import type { BenchClient, SignalingRouter } from './types.js';

export function createClient(): BenchClient {
  let device: Promise<Device> | undefined;
  const loadDevice = async (router: SignalingRouter): Promise<Device> => {
    const d = new Device();
    await d.load({ routerRtpCapabilities: router.rtpCapabilities });
    return d;
  };
  return {
    name: 'ours',
    stack: 'mediasoup-data-producer (src/) on node-datachannel',
    open: async (router, label, signal) => {
      device ??= loadDevice(router);
      const loaded: MsLikeDevice = await device;
      return openMsLikeChannel(loaded, router, label, signal);
    },
    dispose: () => undefined,
  };
}

// Ours: mediasoup-data-producer's Device (mediasoup-client's API on node-datachannel).
import { Device } from 'mediasoup-data-producer';

import { msLikeClient } from './msLike.js';
import type { BenchClient } from './types.js';

export function createClient(): BenchClient {
  return msLikeClient({
    name: 'ours',
    stack: 'mediasoup-data-producer (packages/mediasoup-data-producer/src) on node-datachannel',
    loadDevice: async (router) => {
      const device = new Device();
      await device.load({ routerRtpCapabilities: router.rtpCapabilities });
      return {
        sctpCapabilities: device.sctpCapabilities,
        createSendTransport: (params) => device.createSendTransport(params),
        createRecvTransport: (params) => device.createRecvTransport(params),
      };
    },
    binaryType: 'nodebuffer',
  });
}

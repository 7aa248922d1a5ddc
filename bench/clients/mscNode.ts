// msc-node: a mediasoup-client fork whose handler runs on werift (WebRTC in TypeScript).
import { Device } from 'msc-node';
import type { TransportOptions } from 'msc-node/lib/Transport';

import { msLikeClient } from './msLike.js';
import type { BenchClient } from './types.js';

export function createClient(): BenchClient {
  return msLikeClient({
    name: 'msc-node',
    stack: 'msc-node (mediasoup-client fork) werift handler (pure TypeScript WebRTC)',
    loadDevice: async (router) => {
      // The first argument is werift's own RTP capabilities: none, we only send data.
      const device = new Device({ codecs: {} }, { handlerName: 'werift' });
      await device.load({ routerRtpCapabilities: router.rtpCapabilities });
      return {
        sctpCapabilities: device.sctpCapabilities,
        // The server's parameters as they would arrive over signalling (JSON).
        createSendTransport: (params) =>
          device.createSendTransport(params as unknown as TransportOptions),
        createRecvTransport: (params) =>
          device.createRecvTransport(params as unknown as TransportOptions),
      };
    },
    options: { closeGraceMs: 3000 },
  });
}

// msc-node: a mediasoup-client fork whose handler runs on werift (WebRTC in TypeScript).
import { Device } from 'msc-node';
import type { TransportOptions } from 'msc-node/lib/Transport';

import { openMsLikeChannel, type MsLikeDevice } from './msLike.js';
import type { BenchClient, SignalingRouter } from './types.js';

export function createClient(): BenchClient {
  let device: Promise<Device> | undefined;
  const loadDevice = async (router: SignalingRouter): Promise<Device> => {
    // The first argument is werift's own RTP capabilities: none, we only send data.
    const d = new Device({ codecs: {} }, { handlerName: 'werift' });
    await d.load({ routerRtpCapabilities: router.rtpCapabilities });
    return d;
  };
  return {
    name: 'msc-node',
    stack: 'msc-node (mediasoup-client fork) werift handler (pure TypeScript WebRTC)',
    open: async (router, label, signal) => {
      device ??= loadDevice(router);
      const d = await device;
      const msLike: MsLikeDevice = {
        sctpCapabilities: d.sctpCapabilities,
        // The server's parameters as they would arrive over signalling (JSON).
        createSendTransport: (params) =>
          d.createSendTransport(params as unknown as TransportOptions),
      };
      return openMsLikeChannel(msLike, router, label, signal, { closeGraceMs: 3000 });
    },
    dispose: () => undefined,
  };
}

// mediasoup-client 3.x with its Chrome111 handler on @roamhq/wrtc (libwebrtc): the
// handler expects a browser, so wrtc's classes are installed as globals first.
import { createRequire } from 'node:module';

import { Device } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import type { TransportOptions } from 'mediasoup-client/types';

import { msLikeClient } from './msLike.js';
import type { BenchClient } from './types.js';

const BROWSER_GLOBALS = [
  'RTCPeerConnection',
  'RTCSessionDescription',
  'RTCIceCandidate',
  'RTCDataChannel',
  'RTCRtpSender',
  'RTCRtpReceiver',
  'RTCRtpTransceiver',
  'MediaStream',
  'MediaStreamTrack',
] as const;

function installWrtcGlobals(): void {
  // Loaded with require: wrtc's own typings refer to the DOM lib this project does not use.
  const wrtc = createRequire(__filename)('@roamhq/wrtc') as Record<string, unknown>;
  const target = globalThis as Record<string, unknown>;
  for (const name of BROWSER_GLOBALS) {
    if (target[name] === undefined && wrtc[name] !== undefined) target[name] = wrtc[name];
  }
}

export function createClient(): BenchClient {
  installWrtcGlobals();
  return msLikeClient({
    name: 'mediasoup-client',
    stack: 'mediasoup-client Chrome111 handler on @roamhq/wrtc (libwebrtc)',
    loadDevice: async (router) => {
      const device = new Device({ handlerFactory: Chrome111.createFactory() });
      await device.load({ routerRtpCapabilities: router.rtpCapabilities });
      return {
        sctpCapabilities: device.sctpCapabilities,
        // The server's parameters as they would arrive over signalling (JSON). mediasoup 3.8
        // names a candidate's address `ip`, which mediasoup-client still reads.
        createSendTransport: (params) =>
          device.createSendTransport(params as unknown as TransportOptions),
        createRecvTransport: (params) =>
          device.createRecvTransport(params as unknown as TransportOptions),
      };
    },
    binaryType: 'arraybuffer',
  });
}

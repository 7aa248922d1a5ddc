// mediasoup-client 3.x with its Chrome111 handler on @roamhq/wrtc (libwebrtc): the
// handler expects a browser, so wrtc's classes are installed as globals first.
import { createRequire } from 'node:module';

import { Device } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import type { TransportOptions } from 'mediasoup-client/types';

import { openMsLikeChannel, type MsLikeDevice } from './msLike.js';
import type { BenchClient, SignalingRouter } from './types.js';

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
  let device: Promise<Device> | undefined;
  const loadDevice = async (router: SignalingRouter): Promise<Device> => {
    const d = new Device({ handlerFactory: Chrome111.createFactory() });
    await d.load({ routerRtpCapabilities: router.rtpCapabilities });
    return d;
  };
  return {
    name: 'mediasoup-client',
    stack: 'mediasoup-client Chrome111 handler on @roamhq/wrtc (libwebrtc)',
    open: async (router, label, signal) => {
      device ??= loadDevice(router);
      const d = await device;
      const msLike: MsLikeDevice = {
        sctpCapabilities: d.sctpCapabilities,
        // The server's parameters as they would arrive over signalling (JSON). mediasoup 3.8
        // names a candidate's address `ip`, which mediasoup-client still reads.
        createSendTransport: (params) =>
          d.createSendTransport(params as unknown as TransportOptions),
      };
      return openMsLikeChannel(msLike, router, label, signal);
    },
    dispose: () => undefined,
  };
}

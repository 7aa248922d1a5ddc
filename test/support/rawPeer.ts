// A bare node-datachannel peer with a hand-built negotiated channel: no layer of ours
// but the answer SDP. The smoke test uses it to prove the router and the SDP, and the
// benchmark uses it as the ceiling of our stack.
import { PeerConnection, type DataChannel, type RtcConfig } from 'node-datachannel';

import type { LocalRouter, LocalTransportOptions } from 'mediasoup-local-router';
import { buildAnswerSdp, localFingerprint, sdpAttribute } from 'mediasoup-data-producer/testing';

export interface RawPeer {
  pc: PeerConnection;
  dc: DataChannel;
  /** The router's transport of this peer. */
  transportId: string;
  dataProducerId: string;
  close(): void;
}

// node-datachannel 0.33.4 frees a DataChannel wrapper when its JS object is garbage-collected
// but leaves it in the list that cleanup() walks, so cleanup() after a collection crashes the
// process (segfault, abort or double free). Nothing here calls cleanup(), but a test file may:
// closed peers stay referenced for the process's life.
const closedPeers: { pc: PeerConnection; dc: DataChannel }[] = [];

export interface RawPeerOptions {
  /** node-datachannel ICE servers (TURN as an object or `turn:user:pass@host:port`). Default none. */
  iceServers?: RtcConfig['iceServers'];
  /**
   * Default 'all'. 'relay' only filters the candidates signalled: libjuice still checks pairs
   * from its host socket, so it does not force TURN (see test/integration/turn.raw.test.ts).
   */
  iceTransportPolicy?: RtcConfig['iceTransportPolicy'];
  /** The local address libjuice binds its one UDP socket to. Default all (0.0.0.0 and ::). */
  bindAddress?: string;
  /** Give up (closing the peer) if the channel has not opened by then. Default: wait forever. */
  openTimeoutMs?: number;
  /** The SCTP stream of the peer's channel. Default 0. */
  streamId?: number;
  /** Options of the router's transport. Default none. */
  transportOptions?: LocalTransportOptions;
}

export async function openRawPeer(
  router: LocalRouter,
  label = 'raw',
  options: RawPeerOptions = {},
): Promise<RawPeer> {
  const params = await router.createWebRtcTransport(options.transportOptions);
  const pc = new PeerConnection(label, {
    iceServers: options.iceServers ?? [],
    disableAutoNegotiation: true,
    ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
    ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
  });
  const streamId = options.streamId ?? 0;
  const dc = pc.createDataChannel(label, { negotiated: true, id: streamId });
  // node-datachannel lets the process exit only once it has reported the peer 'closed' and
  // the channel closed to JS, through these callbacks (no cleanup() is needed then).
  pc.onStateChange(() => undefined);
  dc.onClosed(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    dc.onOpen(resolve);
    dc.onError((error) => {
      reject(new Error(error));
    });
    const { openTimeoutMs } = options;
    if (openTimeoutMs !== undefined) {
      timer = setTimeout(() => {
        const states = `ICE ${pc.iceState()}, gathering ${pc.gatheringState()}, peer ${pc.state()}`;
        dc.close();
        pc.close();
        closedPeers.push({ pc, dc });
        reject(new Error(`the data channel did not open in ${openTimeoutMs} ms (${states})`));
      }, openTimeoutMs);
    }
  });
  // Awaited below; this only keeps an early rejection from counting as unhandled meanwhile.
  opened.catch(() => undefined);
  pc.setLocalDescription();
  const offer = pc.localDescription();
  if (!offer) throw new Error('node-datachannel produced no local description');
  const fingerprint = params.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256');
  if (!fingerprint || !params.sctpParameters)
    throw new Error('router transport lacks sha-256 or SCTP');

  await router.connect(params.id, {
    dtlsParameters: { role: 'client', fingerprints: [localFingerprint(offer.sdp)] },
  });
  pc.setRemoteDescription(
    buildAnswerSdp({
      iceParameters: params.iceParameters,
      iceCandidates: params.iceCandidates,
      fingerprint,
      remoteDtlsRole: 'server',
      sctpPort: params.sctpParameters.port,
      maxMessageSize: Number(params.sctpParameters.maxMessageSize),
      mid: sdpAttribute(offer.sdp, 'mid') ?? '0',
    }),
    'answer',
  );
  const { id } = await router.produceData(params.id, {
    sctpStreamParameters: { streamId, ordered: true },
    label,
  });
  try {
    await opened;
  } finally {
    clearTimeout(timer);
  }
  return {
    pc,
    dc,
    transportId: params.id,
    dataProducerId: id,
    close: () => {
      dc.close();
      pc.close();
      closedPeers.push({ pc, dc });
    },
  };
}

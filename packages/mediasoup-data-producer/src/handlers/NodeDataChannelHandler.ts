// The default handler, and the only module that imports node-datachannel. It hands each
// DataProducer and DataConsumer node-datachannel's own DataChannel: no wrapper sits on the
// send or the receive path.
import { PeerConnection, setSctpSettings, type DataChannel } from 'node-datachannel';

import { InvalidStateError, UnsupportedError } from '../errors.js';
import { isPlainObject, isUint } from '../validation.js';
import { toNativeIceServers } from '../iceServers.js';
import { Logger } from '../Logger.js';
import { buildAnswerSdp, localFingerprint, sdpAttribute } from '../sdp/answerSdp.js';
import type { ConnectionState, IceGatheringState, IceServer } from '../types.js';
import { HandlerBase, type HandlerChannelInit, type HandlerSession } from './HandlerBase.js';
import type {
  HandlerCandidateStats,
  HandlerFactory,
  HandlerRunOptions,
  HandlerSctpParameters,
  HandlerTransportStats,
  NativeChannel,
} from './HandlerInterface.js';
import { assertDescriptorsFree } from './descriptors.js';

const logger = new Logger('NodeDataChannelHandler');

const NAME = 'node-datachannel';

// node-datachannel's process-wide cleanup() is never called: it would also close every
// PeerConnection, DataChannel and WebSocket that the host app made for itself. Each native
// object lets the process exit on its own once libdatachannel has reported it closed to JS
// (the PeerConnection's 'closed' state, a DataChannel's close callback): that is when
// node-datachannel releases its thread-safe callbacks, the only thing that holds the event
// loop. Both callbacks are therefore always set, and a DataChannel is held here until its
// close callback has run: a wrapper collected before that would close itself and never
// release its callback, keeping the process alive.
const liveChannels = new Set<DataChannel>();

/**
 * libdatachannel's SCTP settings, as node-datachannel's `setSctpSettings()` takes them. They
 * hold for the whole process: every libdatachannel peer connection, the app's own included.
 */
export interface SctpSettings {
  /** Receive buffer (usrsctp's SO_RCVBUF), bytes. libdatachannel's default 1 MiB. */
  recvBufferSize?: number;
  /** Send buffer (usrsctp's SO_SNDBUF), bytes. libdatachannel's default 1 MiB. */
  sendBufferSize?: number;
  /** DATA chunks an association may hold unacknowledged or queued. libdatachannel's default 10240. */
  maxChunksOnQueue?: number;
  /** Initial congestion window, in MTUs. libdatachannel's default 10. */
  initialCongestionWindow?: number;
  /** usrsctp's congestion control module (0 RFC 4960, 1 HSTCP, 2 H-TCP, 3 RTCC). Default 0. */
  congestionControlModule?: number;
  /** Delayed SACK time, ms. libdatachannel's default 20. */
  delayedSackTime?: number;
}

/**
 * What `setRouterFriendlySctpSettings()` sets. At most 64 DATA chunks in flight or queued per
 * association: mediasoup 3.8's worker keeps at most 512 chunks (usrsctp's default) toward each
 * consumer and drops the rest (`sctpsendbufferfull`), and it acknowledges a sender long before
 * its consumers acknowledge it, so a sender allowed libdatachannel's 10240 chunks outruns it
 * with a burst of small messages (of 5,000 short texts, 3,310 to 4,958 arrived in 6 runs). 64
 * chunks let the same burst through whole, and still receive messages of 262,144 bytes (usrsctp
 * delivers them partially); they cap a sender of 100-byte messages near 30,000 per second on
 * localhost (docs/api.md). libwebrtc gets there by being slow: one thread hop per message.
 */
export const ROUTER_FRIENDLY_SCTP_SETTINGS: Readonly<SctpSettings> = Object.freeze({
  maxChunksOnQueue: 64,
});

const SCTP_SETTING_NAMES = [
  'recvBufferSize',
  'sendBufferSize',
  'maxChunksOnQueue',
  'initialCongestionWindow',
  'congestionControlModule',
  'delayedSackTime',
] as const;

/**
 * Sets libdatachannel's SCTP settings, process-wide, to `ROUTER_FRIENDLY_SCTP_SETTINGS` plus
 * `settings` (which win). node-datachannel replaces every setting at each call: one not given
 * returns to libdatachannel's default, so pass the ones your app sets itself. Call it once,
 * before creating transports. The library never calls it by itself: it would change the app's
 * own peer connections. Throws TypeError for settings that are not non-negative integers.
 */
export function setRouterFriendlySctpSettings(settings: SctpSettings = {}): void {
  if (!isPlainObject(settings)) throw new TypeError('SCTP settings must be a plain object');
  const merged: SctpSettings = { ...ROUTER_FRIENDLY_SCTP_SETTINGS };
  for (const [name, value] of Object.entries(settings)) {
    if (!(SCTP_SETTING_NAMES as readonly string[]).includes(name)) {
      throw new TypeError(
        `unknown SCTP setting "${name}" (expected one of ${SCTP_SETTING_NAMES.join(', ')})`,
      );
    }
    if (value === undefined) continue;
    if (!isUint(value, 0xffffffff)) {
      throw new TypeError(`SCTP setting ${name} must be an integer from 0 to 4294967295`);
    }
    merged[name as keyof SctpSettings] = value;
  }
  logger.debug('setRouterFriendlySctpSettings() %o', merged);
  setSctpSettings(merged);
}

/** node-datachannel's peer connection, made by the first `sendDataChannel()` or `receiveDataChannel()`. */
interface Peer {
  pc: PeerConnection;
  /** Set once every first channel existed: the one offer of this transport. */
  offerSdp: string | undefined;
}

export class NodeDataChannelHandler extends HandlerBase<Peer> {
  /** The peer connection, from the first channel until close(). */
  private _peer: Peer | undefined;

  /** The factory `new Device()` uses when given none. */
  static createFactory(): HandlerFactory {
    return () => new NodeDataChannelHandler();
  }

  get name(): string {
    return NAME;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async updateIceServers(iceServers: IceServer[]): Promise<void> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this.started) {
      throw new UnsupportedError(
        'updateIceServers() only takes effect before the transport starts connecting ' +
          '(its first produceData()): libdatachannel cannot change the ICE servers of a running agent',
      );
    }
    this._iceServers = iceServers;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async getTransportStats(): Promise<HandlerTransportStats> {
    const pc = this._peer?.pc;
    if (!pc) return { bytesSent: 0, bytesReceived: 0 };
    const rtt = pc.rtt();
    const pair = pc.getSelectedCandidatePair();
    const candidate = (c: NonNullable<typeof pair>['local']): HandlerCandidateStats => ({
      address: c.address,
      port: c.port,
      protocol: c.transportType.toLowerCase().includes('tcp') ? 'tcp' : 'udp',
      candidateType: c.type.toLowerCase(),
    });
    return {
      bytesSent: pc.bytesSent(),
      bytesReceived: pc.bytesReceived(),
      ...(rtt >= 0 && { roundTripTime: rtt / 1000 }),
      ...(pair && {
        selectedCandidatePair: { local: candidate(pair.local), remote: candidate(pair.remote) },
      }),
    };
  }

  /** @internal */
  protected startSession(
    run: HandlerRunOptions,
    sctp: HandlerSctpParameters,
  ): HandlerSession<Peer> {
    logger.debug('creating the peer connection [id:%s]', run.id);
    const pc = new PeerConnection(run.id, {
      iceServers: toNativeIceServers(this._iceServers),
      iceTransportPolicy: run.iceTransportPolicy,
      // The router's receive limit: libdatachannel refuses larger messages itself too.
      maxMessageSize: sctp.maxMessageSize,
      // One offer/answer per transport, made by us when the first channel exists.
      disableAutoNegotiation: true,
    });
    // Set at once: node-datachannel releases the peer's last thread-safe callback when it
    // reports 'closed' through this one.
    pc.onStateChange((state) => {
      this.handleNativeState(state);
    });
    pc.onGatheringStateChange((state) => {
      this.handleNativeGatheringState(state);
    });
    const peer: Peer = { pc, offerSdp: undefined };
    this._peer = peer;
    return { native: peer, maxStreams: pc.maxDataChannelId() + 1 };
  }

  /** @internal */
  protected createChannel(
    peer: Peer,
    init: HandlerChannelInit,
    onClosed: (byStreamReset: boolean) => void,
  ): NativeChannel {
    return createChannel(peer.pc, init, onClosed);
  }

  /** @internal */
  protected resetStream(peer: Peer, streamId: number): void {
    resetOutgoingStream(peer.pc, streamId);
  }

  /** @internal */
  protected closeSession(peer: Peer | undefined): void {
    logger.debug('close()');
    this._peer = undefined;
    peer?.pc.close();
  }

  /** @internal Emits `@connect` with our DTLS parameters, then gives the peer the router's answer. */
  protected async connect(
    peer: Peer,
    run: HandlerRunOptions,
    sctp: HandlerSctpParameters,
  ): Promise<void> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    peer.offerSdp ??= createOffer(peer.pc);
    const offer = peer.offerSdp;
    const localRole = await this.requestConnect(run, localFingerprint(offer));
    const fingerprint = run.dtlsParameters.fingerprints.find(
      (f) => f.algorithm.toLowerCase() === 'sha-256',
    );
    // The transport's validation guarantees a sha-256 fingerprint.
    if (!fingerprint)
      throw new TypeError('dtlsParameters.fingerprints must include a sha-256 fingerprint');
    peer.pc.setRemoteDescription(
      buildAnswerSdp({
        iceParameters: run.iceParameters,
        iceCandidates: run.iceCandidates.map((c) => ({ ...c, ip: c.address ?? c.ip ?? '' })),
        fingerprint: { algorithm: 'sha-256', value: fingerprint.value },
        remoteDtlsRole: localRole === 'client' ? 'server' : 'client',
        sctpPort: sctp.port,
        maxMessageSize: sctp.maxMessageSize,
        mid: sdpAttribute(offer, 'mid') ?? '0',
      }),
      'answer',
    );
    this._connected = true;
  }

  private handleNativeGatheringState(nativeState: string): void {
    if (this._closed) return;
    // libdatachannel names 'gathering' 'in-progress'.
    const state: IceGatheringState | undefined =
      nativeState === 'in-progress' || nativeState === 'gathering'
        ? 'gathering'
        : nativeState === 'new' || nativeState === 'complete'
          ? nativeState
          : undefined;
    if (state === undefined) {
      logger.warn('unknown ICE gathering state from node-datachannel: %s', nativeState);
      return;
    }
    this.safeEmit('@icegatheringstatechange', state);
  }

  private handleNativeState(nativeState: string): void {
    // Only close() closes the peer connection on purpose, and what follows it is ignored. A
    // 'closed' before that is libdatachannel tearing it down by itself (SCTP gave up, the
    // router closed its transport): nothing can revive it, so the connection has failed.
    if (this._closed) return;
    this.reportConnectionState(
      (nativeState === 'closed' ? 'failed' : nativeState) as ConnectionState,
    );
  }
}

function createOffer(pc: PeerConnection): string {
  assertDescriptorsFree();
  pc.setLocalDescription();
  const description = pc.localDescription();
  if (!description) throw new Error('node-datachannel produced no local description');
  return description.sdp;
}

/**
 * A negotiated channel (mediasoup speaks no DCEP) on the stream id we picked (send) or the
 * router picked (recv).
 */
function createChannel(
  pc: PeerConnection,
  init: HandlerChannelInit,
  onClosed: (byStreamReset: boolean) => void,
): NativeChannel {
  const channel = pc.createDataChannel(init.label, {
    negotiated: true,
    id: init.streamId,
    protocol: init.protocol,
    unordered: !init.ordered,
    ...(init.maxPacketLifeTime !== undefined && { maxPacketLifeTime: init.maxPacketLifeTime }),
    ...(init.maxRetransmits !== undefined && { maxRetransmits: init.maxRetransmits }),
  });
  // A collected DataChannel closes itself: this reference also keeps it alive.
  liveChannels.add(channel);
  channel.onClosed(() => {
    liveChannels.delete(channel);
    // libdatachannel closes every channel once the association is gone, after the peer has
    // left 'connected'; a channel closed on a connected peer had its stream reset (or was
    // closed by us, which the caller knows).
    onClosed(pc.state() === 'connected');
  });
  return channel;
}

/**
 * Resets our outgoing side of `streamId` and keeps the channel on it open, as libdatachannel
 * cannot do with that channel: its close() resets the stream but also closes the channel at
 * once, so that the router's answering reset would reach nothing. A second channel on the same
 * stream id is not registered by libdatachannel (the id is taken), and closing it queues the
 * stream's reset behind everything already queued; the registered channel then closes when
 * the router resets its side in turn (see HandlerDataChannel.resetOutgoing()).
 */
function resetOutgoingStream(pc: PeerConnection, streamId: number): void {
  const twin = pc.createDataChannel('', { negotiated: true, id: streamId });
  liveChannels.add(twin);
  twin.onClosed(() => {
    liveChannels.delete(twin);
  });
  twin.close();
}

// The default handler, and the only module that imports node-datachannel. It hands each
// DataProducer and DataConsumer node-datachannel's own DataChannel: no wrapper sits on the
// send or the receive path.
import { PeerConnection, type DataChannel } from 'node-datachannel';

import { InvalidStateError, UnsupportedError } from '../errors.js';
import { toNativeIceServers } from '../iceServers.js';
import { Logger } from '../Logger.js';
import { buildAnswerSdp, localFingerprint, sdpAttribute } from '../sdp/answerSdp.js';
import type { ConnectionState, IceServer } from '../types.js';
import {
  HandlerInterface,
  type HandlerCandidateStats,
  type HandlerFactory,
  type HandlerReceiveDataChannelOptions,
  type HandlerReceiveDataChannelResult,
  type HandlerRunOptions,
  type HandlerSctpParameters,
  type HandlerSendDataChannelOptions,
  type HandlerSendDataChannelResult,
  type HandlerTransportStats,
  type NativeChannel,
} from './HandlerInterface.js';
import { assertDescriptorsFree } from './descriptors.js';
import { RecvStreams } from './RecvStreams.js';
import { SendStreams, type StreamHandler } from './SendStreams.js';

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

/** node-datachannel's peer connection, made by the first `sendDataChannel()` or `receiveDataChannel()`. */
interface Peer {
  pc: PeerConnection;
  /** Set once every first channel existed: the one offer of this transport. */
  offerSdp: string | undefined;
  /** The transport's direction decides which. */
  streams: SendStreams | RecvStreams;
}

export class NodeDataChannelHandler extends HandlerInterface {
  private _options: HandlerRunOptions | undefined;
  private _iceServers: IceServer[] = [];
  private _peer: Peer | undefined;
  /** A `@connect` was answered and the router's answer applied. */
  private _connected = false;
  private _closed = false;

  /** The factory `new Device()` uses when given none. */
  static createFactory(): HandlerFactory {
    return () => new NodeDataChannelHandler();
  }

  get name(): string {
    return NAME;
  }

  run(options: HandlerRunOptions): void {
    this._options = options;
    this._iceServers = options.iceServers;
  }

  close(): void {
    if (this._closed) return;
    logger.debug('close()');
    this._closed = true;
    const peer = this._peer;
    this._peer = undefined;
    peer?.pc.close();
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async updateIceServers(iceServers: IceServer[]): Promise<void> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this._peer) {
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

  async sendDataChannel(
    options: HandlerSendDataChannelOptions,
  ): Promise<HandlerSendDataChannelResult> {
    const { peer, sctp } = this.prepare('send');
    if (!(peer.streams instanceof SendStreams)) throw new Error('unreachable: not a send peer');
    return peer.streams.send(
      options,
      this.streamHandler(peer, sctp, (streamId, onClosed) =>
        createChannel(peer.pc, { ...options, streamId }, onClosed),
      ),
    );
  }

  async receiveDataChannel(
    options: HandlerReceiveDataChannelOptions,
  ): Promise<HandlerReceiveDataChannelResult> {
    const { peer, sctp } = this.prepare('recv');
    if (!(peer.streams instanceof RecvStreams)) throw new Error('unreachable: not a recv peer');
    const { sctpStreamParameters: parameters, label, protocol } = options;
    return peer.streams.receive(
      options,
      this.streamHandler(peer, sctp, (streamId, onClosed) =>
        createChannel(
          peer.pc,
          {
            streamId,
            label,
            protocol,
            ordered: parameters.ordered,
            maxPacketLifeTime: parameters.maxPacketLifeTime,
            maxRetransmits: parameters.maxRetransmits,
          },
          onClosed,
        ),
      ),
    );
  }

  /** The peer for a channel in `direction`, made the first time. */
  private prepare(direction: 'send' | 'recv'): { peer: Peer; sctp: HandlerSctpParameters } {
    const run = this.assertRunning();
    if (run.direction !== direction) {
      throw new UnsupportedError(
        `${direction === 'send' ? 'sendDataChannel' : 'receiveDataChannel'}() is not supported: ` +
          `this is a ${run.direction} transport`,
      );
    }
    if (!run.sctpParameters) throw new UnsupportedError('SCTP is not enabled on this transport');
    const sctp = run.sctpParameters;
    return { peer: this.ensurePeer(sctp, direction), sctp };
  }

  private streamHandler(
    peer: Peer,
    sctp: HandlerSctpParameters,
    makeChannel: StreamHandler['makeChannel'],
  ): StreamHandler {
    return {
      makeChannel,
      resetStream: (streamId) => {
        resetOutgoingStream(peer.pc, streamId);
      },
      isClosed: () => this._closed,
      isConnected: () => this._connected,
      connect: () => this.connect(peer, sctp),
    };
  }

  private assertRunning(): HandlerRunOptions {
    if (this._closed) throw new InvalidStateError('transport closed');
    if (!this._options) throw new InvalidStateError('the handler has not been run');
    return this._options;
  }

  private ensurePeer(sctp: HandlerSctpParameters, direction: 'send' | 'recv'): Peer {
    if (this._peer) return this._peer;
    logger.debug('creating the peer connection [id:%s]', this._options?.id);
    const pc = new PeerConnection(this._options?.id ?? 'transport', {
      iceServers: toNativeIceServers(this._iceServers),
      iceTransportPolicy: this._options?.iceTransportPolicy ?? 'all',
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
    const count = Math.min(sctp.maxStreams, pc.maxDataChannelId() + 1);
    const peer: Peer = {
      pc,
      offerSdp: undefined,
      streams: direction === 'send' ? new SendStreams(count) : new RecvStreams(count),
    };
    this._peer = peer;
    return peer;
  }

  /** Emits `@connect` with our DTLS parameters, then gives the peer the router's answer. */
  private async connect(peer: Peer, sctp: HandlerSctpParameters): Promise<void> {
    const run = this.assertRunning();
    peer.offerSdp ??= createOffer(peer.pc);
    const offer = peer.offerSdp;
    // The router decides when it has a role; otherwise we are the DTLS client, as
    // mediasoup-client is.
    const localRole = run.dtlsParameters.role === 'client' ? 'server' : 'client';
    await new Promise<void>((resolve, reject) => {
      this.safeEmit(
        '@connect',
        { dtlsParameters: { role: localRole, fingerprints: [localFingerprint(offer)] } },
        resolve,
        reject,
      );
    });
    if (this._closed) throw new InvalidStateError('transport closed');
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

  private handleNativeState(nativeState: string): void {
    // Only close() closes the peer connection on purpose, and what follows it is ignored. A
    // 'closed' before that is libdatachannel tearing it down by itself (SCTP gave up, the
    // router closed its transport): nothing can revive it, so the connection has failed.
    if (this._closed) return;
    const state = (nativeState === 'closed' ? 'failed' : nativeState) as ConnectionState;
    const streams = this._peer?.streams;
    if (state === 'connected' && streams instanceof SendStreams) streams.associated();
    this.safeEmit('@connectionstatechange', state);
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
  init: HandlerSendDataChannelOptions & { streamId: number },
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

// The only module that talks to node-datachannel. Everything else sees the small
// interfaces below, which the native objects satisfy as they are: no wrapper sits on
// the send path.
import { PeerConnection, type DataChannel } from 'node-datachannel';

export interface NativeIceServer {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  relayType?: 'TurnUdp' | 'TurnTcp' | 'TurnTls';
}

export interface NativePeerConfig {
  iceServers: (string | NativeIceServer)[];
  iceTransportPolicy: 'all' | 'relay';
  /** The router's receive limit: libdatachannel refuses larger messages itself too. */
  maxMessageSize: number;
}

export type NativePeerState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** A node-datachannel DataChannel as the rest of the library may use it. */
export interface NativeChannel {
  sendMessage(message: string): boolean;
  sendMessageBinary(buffer: Uint8Array): boolean;
  bufferedAmount(): number;
  setBufferedAmountLowThreshold(size: number): void;
  isOpen(): boolean;
  close(): void;
  onOpen(cb: () => void): void;
  onError(cb: (error: string) => void): void;
  onBufferedAmountLow(cb: () => void): void;
}

export interface NativeChannelInit {
  label: string;
  protocol: string;
  streamId: number;
  ordered: boolean;
  maxPacketLifeTime?: number | undefined;
  maxRetransmits?: number | undefined;
}

export interface SelectedPair {
  local: { address: string; port: number; type: string; transportType: string; candidate: string };
  remote: { address: string; port: number; type: string; transportType: string; candidate: string };
}

export interface NativePeer {
  /** Creates the offer once every first channel exists; returns its SDP. */
  createOffer(): string;
  setAnswer(sdp: string): void;
  /**
   * Creates a negotiated channel. `onClosed` runs once, when libdatachannel reports the
   * channel closed (by us, by the router's stream reset, or with the association).
   */
  createChannel(init: NativeChannelInit, onClosed: () => void): NativeChannel;
  onStateChange(cb: (state: NativePeerState) => void): void;
  /** The largest stream id the native stack accepts. */
  maxStreamId(): number;
  bytesSent(): number;
  bytesReceived(): number;
  /** SCTP round-trip time in milliseconds, when known. */
  rttMs(): number | undefined;
  selectedPair(): SelectedPair | undefined;
  close(): void;
}

// node-datachannel's process-wide cleanup() is never called: it would also close every
// PeerConnection, DataChannel and WebSocket that the host app made for itself. Each native
// object lets the process exit on its own once libdatachannel has reported it closed to JS
// (the PeerConnection's 'closed' state, a DataChannel's close callback): that is when
// node-datachannel releases its thread-safe callbacks, the only thing that holds the event
// loop. Both callbacks are therefore always set, and a DataChannel is held here until its
// close callback has run: a wrapper collected before that would close itself and never
// release its callback, keeping the process alive.
const liveChannels = new Set<DataChannel>();

export function createNativePeer(name: string, config: NativePeerConfig): NativePeer {
  const pc = new PeerConnection(name, {
    iceServers: config.iceServers,
    iceTransportPolicy: config.iceTransportPolicy,
    maxMessageSize: config.maxMessageSize,
    // One offer/answer per transport, made by us when the first channel exists.
    disableAutoNegotiation: true,
  });
  let closed = false;
  // Set at once, not only when the transport asks: node-datachannel releases the peer's last
  // thread-safe callback when it reports 'closed' through this one.
  let stateListener: ((state: NativePeerState) => void) | undefined;
  pc.onStateChange((state) => {
    stateListener?.(state as NativePeerState);
  });

  return {
    createOffer() {
      pc.setLocalDescription();
      const description = pc.localDescription();
      if (!description) throw new Error('node-datachannel produced no local description');
      return description.sdp;
    },
    setAnswer(sdp) {
      pc.setRemoteDescription(sdp, 'answer');
    },
    createChannel(init, onClosed) {
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
        onClosed();
      });
      return channel;
    },
    onStateChange(cb) {
      stateListener = cb;
    },
    maxStreamId: () => pc.maxDataChannelId(),
    bytesSent: () => pc.bytesSent(),
    bytesReceived: () => pc.bytesReceived(),
    rttMs() {
      const rtt = pc.rtt();
      return rtt >= 0 ? rtt : undefined;
    },
    selectedPair() {
      const pair = pc.getSelectedCandidatePair();
      return pair ?? undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      pc.close();
    },
  };
}

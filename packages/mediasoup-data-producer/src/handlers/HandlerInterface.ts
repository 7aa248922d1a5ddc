// What a Transport drives, as mediasoup-client's Transport drives its HandlerInterface: the
// peer connection, the SDP, the SCTP stream ids and the native data channels live behind it.
// The Transport keeps the API: validation, state, signaling events and their timeouts, the
// serialization of produceData() calls, the observer and the DataProducers.
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';
import { statsReport, type HandlerStatsOptions, type TransportStat } from './statsReport.js';
import type {
  ConnectionState,
  DtlsParameters,
  IceCandidate,
  IceGatheringState,
  IceParameters,
  IceServer,
  IceTransportPolicy,
  RemoteDtlsParameters,
  SctpStreamParameters,
} from '../types.js';

/** SCTP stream parameters with `ordered` resolved, as the library passes and reports them. */
export type HandlerSctpStreamParameters = SctpStreamParameters & { ordered: boolean };

/**
 * A native data channel as a DataProducer uses it. node-datachannel's `DataChannel` has this
 * shape as it is: a handler hands over the native object itself, so that `send()` reaches it
 * with no wrapper in between.
 */
export interface NativeChannel {
  sendMessage(message: string): boolean;
  sendMessageBinary(buffer: Uint8Array): boolean;
  bufferedAmount(): number;
  setBufferedAmountLowThreshold(size: number): void;
  isOpen(): boolean;
  /** Closes the channel: its SCTP stream is reset. */
  close(): void;
  onOpen(cb: () => void): void;
  onError(cb: (error: string) => void): void;
  onBufferedAmountLow(cb: () => void): void;
  /**
   * Each received message: a string for PPID 51 and 56, binary for 53 and 57 (node-datachannel
   * gives a Buffer; its declarations also allow an ArrayBuffer).
   */
  onMessage(cb: (message: string | Buffer | ArrayBuffer) => void): void;
}

/** A handler for each transport: `new Device({ handlerFactory })` calls it. */
export type HandlerFactory = () => HandlerInterface;

/** The router's SCTP parameters, normalized by the transport. */
export interface HandlerSctpParameters {
  /** The router's SCTP port. */
  port: number;
  /** The largest message the router accepts. */
  maxMessageSize: number;
  /** How many stream ids the transport may use: the smaller of 1024 and the router's OS and MIS. */
  maxStreams: number;
}

/** What `run()` gets: the router's WebRtcTransport parameters, validated and copied. */
export interface HandlerRunOptions {
  /** A send transport only calls sendDataChannel(), a recv transport only receiveDataChannel(). */
  direction: 'send' | 'recv';
  /** The transport id (node-datachannel names its peer connection after it). */
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: RemoteDtlsParameters;
  /** Undefined when the router has no SCTP: the transport then opens no channel. */
  sctpParameters: HandlerSctpParameters | undefined;
  iceServers: IceServer[];
  iceTransportPolicy: IceTransportPolicy;
}

export interface HandlerSendDataChannelOptions {
  ordered: boolean;
  maxPacketLifeTime?: number | undefined;
  maxRetransmits?: number | undefined;
  label: string;
  protocol: string;
}

/**
 * One SCTP stream taken by `sendDataChannel()` or `receiveDataChannel()`. On a send stream the
 * channel is created by `create()` unless it had to exist already (the first channel of a
 * transport carries the SCTP m-line of the offer): a stream id can come round again, and a
 * reset of its previous channel that is still in flight would close a new channel made too
 * early. A receive stream has its channel at once: the router already has its DataConsumer
 * on that stream and may be sending.
 */
export interface HandlerDataChannel {
  /** True once the native stack reported the channel closed (stream reset, association gone). */
  readonly closed: boolean;
  /**
   * Called once when the native stack reports the channel closed: `byStreamReset` is true when
   * the router reset its side of the stream while the connection was up, false when the
   * association went away (or the transport was closed).
   */
  onclose: ((byStreamReset: boolean) => void) | undefined;
  /**
   * The native channel, created now unless it exists: call it once the router has its
   * DataProducer (or DataConsumer) on the stream. From then on the caller closes the channel.
   * Throws OperationError when the native stack refuses the channel.
   */
  create(): NativeChannel;
  /**
   * Resets the outgoing side of the stream after everything already handed to the channel, and
   * keeps the channel open to hear the router's answer. SCTP holds the reset until every chunk
   * of the stream is acknowledged, and the router performs it only once it has received every
   * TSN before it (RFC 6525); a router that answers resets in turn (RFC 8831 6.7: usrsctp-based
   * mediasoup such as 3.8) then resets its side, and the channel closes with `byStreamReset`.
   * mediasoup >= 3.20 answers only on streams it sends on, so the channel then stays open.
   * Call only once the channel is open. Throws OperationError when the native stack refuses.
   */
  resetOutgoing(): void;
  /**
   * Gives the stream id back, once done with it: when the DataProducer or DataConsumer closed,
   * or when `produceData()` or `consumeData()` failed. Closes the channel if `create()` never
   * handed it out. Idempotent.
   */
  release(): void;
}

export interface HandlerSendDataChannelResult {
  dataChannel: HandlerDataChannel;
  /** What `producedata` tells the router; `streamId` is the stream taken. */
  sctpStreamParameters: HandlerSctpStreamParameters;
}

/** What `consumeData()` got from the router, validated and copied. */
export interface HandlerReceiveDataChannelOptions {
  /** The router's choice: `streamId` is the stream its DataConsumer sends on. */
  sctpStreamParameters: HandlerSctpStreamParameters;
  label: string;
  protocol: string;
}

export interface HandlerReceiveDataChannelResult {
  /** The stream, with its channel already made: call `create()` to take it over. */
  dataChannel: HandlerDataChannel;
}

/** A local or remote ICE candidate in `getTransportStats()`. */
export interface HandlerCandidateStats {
  address: string;
  port: number;
  protocol: 'udp' | 'tcp';
  /** 'host', 'srflx', 'prflx' or 'relay'. */
  candidateType: string;
}

/** The transport-level numbers `transport.getStats()` reports. */
export interface HandlerTransportStats {
  bytesSent: number;
  bytesReceived: number;
  /** SCTP round-trip time in seconds, when known. */
  roundTripTime?: number;
  /** The ICE candidate pair in use, when one is selected. */
  selectedCandidatePair?: { local: HandlerCandidateStats; remote: HandlerCandidateStats };
}

export type HandlerEvents = {
  /**
   * The handler needs the router to connect with these (local) DTLS parameters: call
   * `callback()` once it has, or `errback(error)`. The transport emits its `connect` event.
   */
  '@connect': [{ dtlsParameters: DtlsParameters }, () => void, (error: Error) => void];
  /**
   * The connection state changed. 'closed' is never emitted: a connection that the native
   * stack closes by itself is reported as 'failed'. Nothing is emitted after `close()`.
   */
  '@connectionstatechange': [ConnectionState];
  /** The gathering of local ICE candidates moved on. Nothing is emitted after `close()`. */
  '@icegatheringstatechange': [IceGatheringState];
};

/**
 * The seam between a Transport and a WebRTC stack. The default handler is node-datachannel's
 * (`handlerName` 'node-datachannel'); FakeHandler runs without any network.
 */
export abstract class HandlerInterface extends EnhancedEventEmitter<HandlerEvents> {
  /** The handler's name, as `device.handlerName` reports it. */
  abstract get name(): string;

  /** Called once, by the transport's constructor. Creates no native resource. */
  abstract run(options: HandlerRunOptions): void;

  /**
   * Takes an SCTP stream (the stream-id policy lives here) and, the first time or until a
   * `@connect` has been answered, connects: emits `@connect` and waits for its answer.
   * Rejects with OperationError when no stream id is free or the channel cannot be made,
   * with InvalidStateError `transport is closed` when closed meanwhile, and with the error
   * that `@connect`'s errback got.
   */
  abstract sendDataChannel(
    options: HandlerSendDataChannelOptions,
  ): Promise<HandlerSendDataChannelResult>;

  /**
   * Takes the stream the router chose for its DataConsumer, makes its channel and, as
   * `sendDataChannel()` does, connects the first time. Rejects with OperationError when a
   * channel of this transport is still on that stream or the channel cannot be made, with
   * InvalidStateError `transport is closed` when closed meanwhile, and with the error that
   * `@connect`'s errback got.
   */
  abstract receiveDataChannel(
    options: HandlerReceiveDataChannelOptions,
  ): Promise<HandlerReceiveDataChannelResult>;

  abstract getTransportStats(): Promise<HandlerTransportStats>;

  /**
   * The report of `transport.getStats()`, as mediasoup-client's transports ask their handler:
   * the numbers of `getTransportStats()` with the transport's state and endpoints.
   */
  async getStats(options: HandlerStatsOptions): Promise<Map<string, TransportStat>> {
    return statsReport(await this.getTransportStats(), options);
  }

  /** Replaces the ICE servers; rejects with UnsupportedError when the stack cannot. */
  abstract updateIceServers(iceServers: IceServer[]): Promise<void>;

  /** Closes the peer connection, and nothing else. Idempotent. */
  abstract close(): void;
}

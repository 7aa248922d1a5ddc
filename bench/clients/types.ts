// The one interface every benchmarked client is driven through.
import type { LocalTransportOptions, ProduceDataParams } from 'mediasoup-local-router';

/** What `createWebRtcTransport()` gives: mediasoup's transport parameters. */
export interface TransportParams {
  id: string;
  iceParameters: { usernameFragment: string; password: string; iceLite?: boolean };
  iceCandidates: {
    foundation: string;
    priority: number;
    ip: string;
    protocol: 'udp' | 'tcp';
    port: number;
    type: 'host';
    tcpType?: 'passive';
  }[];
  dtlsParameters: {
    role?: 'auto' | 'client' | 'server';
    fingerprints: { algorithm: string; value: string }[];
  };
  sctpParameters?: Record<string, unknown> & { port: number };
}

/**
 * The signalling side of the router: what a client's `connect` and `producedata` handlers
 * call. Both `LocalRouter` and the benchmark's out-of-process `RouterProxy` fit.
 */
export interface SignalingRouter {
  readonly rtpCapabilities: Record<string, unknown>;
  createWebRtcTransport(options?: LocalTransportOptions): Promise<TransportParams>;
  connect(transportId: string, params: { dtlsParameters: unknown }): Promise<void>;
  produceData(transportId: string, params: ProduceDataParams): Promise<{ id: string }>;
  closeTransport(transportId: string): void | Promise<void>;
}

export interface BenchChannel {
  /** The router's DataProducer id: the router host counts arrivals by it. */
  readonly dataProducerId: string;
  readonly transportId: string;
  send(data: Buffer): void;
  bufferedAmount(): number;
  setBufferedAmountLowThreshold(bytes: number): void;
  /** One persistent listener; the benchmark registers it once per channel. */
  onBufferedAmountLow(cb: () => void): void;
  /** Called if the channel or its transport fails or closes unexpectedly. */
  onFailure(cb: (reason: string) => void): void;
  close(): Promise<void> | void;
}

/** What a client's own processes (a browser) use, beside the benchmark process. */
export interface ExternalUsage {
  /** Proportional set size of those processes, together. */
  memoryBytes: number;
  /** CPU seconds they have used so far. */
  cpuSeconds: number;
}

/** What the router's consumeData() answers: what a client's transport.consumeData() takes. */
export interface ConsumeParams {
  id: string;
  dataProducerId: string;
  sctpStreamParameters: Record<string, unknown> & { streamId: number };
  label: string;
  protocol: string;
}

/** One transport with one DataConsumer, open and receiving. */
export interface BenchReceiver {
  readonly transportId: string;
  /** The router's DataConsumer id (= the client's DataConsumer id). */
  readonly dataConsumerId: string;
  /** One listener: every message, in arrival order (binary as bytes, a string as a string). */
  onMessage(cb: (data: Uint8Array | string) => void): void;
  onFailure(cb: (reason: string) => void): void;
  close(): Promise<void> | void;
}

export interface BenchClient {
  readonly name: string;
  /** What it is built on, for the report. */
  readonly stack: string;
  /**
   * Opens one transport with one ordered, reliable DataProducer, ready to send. When
   * `signal` aborts (a timeout), it closes what it made and rejects.
   */
  open(router: SignalingRouter, label: string, signal: AbortSignal): Promise<BenchChannel>;
  /** For a client whose transports live in other processes: their memory and CPU. */
  externalUsage?(): Promise<ExternalUsage>;
  /**
   * Opens a receive transport and one DataConsumer of what `consume(transportId)` (the
   * router's consumeData on that transport) answers; resolves once it is open. Absent for a
   * client of the scale section only (chromium).
   */
  openReceiver?(
    router: SignalingRouter,
    label: string,
    consume: (transportId: string) => Promise<ConsumeParams>,
    signal: AbortSignal,
  ): Promise<BenchReceiver>;
  /** Releases what the client holds across channels (devices, factories). */
  dispose(): Promise<void> | void;
}

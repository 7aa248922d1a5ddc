// What the load engine is given (LoadConfig), what it shows while running (Snapshot) and
// what a run returns (EngineResult): the terms the CLI, the summary and the report share.

import type { MessageSizeProblem, ReceiverReport } from 'mediasoup-data-bots';

export interface LoadConfig {
  transports: number;
  /** DataProducers per transport. */
  producers: number;
  /** Bytes per message (at least 16). */
  size: number;
  /** Messages per second per producer; 0 = as fast as backpressure allows. */
  rate: number;
  durationMs: number;
  /** Transport i starts connecting at i × rampUpMs / transports. */
  rampUpMs: number;
  /** undefined: the library's default (ordered unless partially reliable). */
  ordered: boolean | undefined;
  maxRetransmits: number | undefined;
  maxPacketLifeTime: number | undefined;
  /** A producer sends while its bufferedAmount is below this, then waits for bufferedamountlow. */
  highWaterMark: number;
  /** Time a transport may take from createWebRtcTransport to every producer open. */
  connectTimeoutMs: number;
  /** Time the end of the run may wait for buffers and the receiving side. */
  drainTimeoutMs: number;
  /** Bots (transports) that consume each producer, the n after it; 0 or absent: none. */
  consumers?: number;
  /** Rooms of this many bots, each consuming every other's producers; 0 or absent: none. */
  roomSize?: number;
  /** Every producer's label; default `mdp-<transport>-<producer>`. */
  label?: string;
  /** Every producer's subprotocol; default `mediasoup-data-producer-load`. */
  protocol?: string;
  /** Merged into every producer's appData (after mdpRunId, botId, transport, producer). */
  appData?: Record<string, unknown>;
  /**
   * When this engine runs one shard of a larger run: its transports are the run's
   * `first` .. `first + transports - 1` (ids, labels and the ramp-up follow the run's
   * numbering) out of `runTransports`, and rooms are named after the run's id `runId`.
   */
  shard?: { first: number; runTransports: number; runId?: string };
}

/**
 * How the shards of a run whose bots consume meet (see shardBarrier.ts): each call reports
 * this shard's part and resolves with the run's once every running shard has reported, or
 * with undefined when the run is interrupted meanwhile.
 */
export interface ShardCoordinator {
  /** Bot number (the run's) → its producers' ids. */
  producers(local: Record<number, string[]>): Promise<Record<number, string[]> | undefined>;
  /** This shard's consumers are open; resolves when every shard's are. */
  consumersOpen(): Promise<true | undefined>;
  /** Producer id → messages sent, once this shard has stopped sending. */
  sent(local: Record<string, number>): Promise<Record<string, number> | undefined>;
}

/** What the consuming bots received (see ConsumerSide). */
export interface ConsumerSideResult {
  recvTransports: { total: number; opened: number; failed: number };
  dataConsumers: number;
  /** Messages the consumers should have got: each consumed producer's sent, per consumer. */
  expected: number;
  /** Per consumer, its producer's sent minus what it received (never negative), summed. */
  lost: number;
  /**
   * Sharded runs: what consumers of producers whose count is not known (a shard that
   * failed) received; in `report`, not in `expected`.
   */
  notExpected?: { dataConsumers: number; messages: number; bytes: number };
  /** Keyed by DataConsumer id; latency is the end-to-end one (send to consumer). */
  report: ReceiverReport;
}

export type Phase = 'starting' | 'connecting' | 'sending' | 'draining' | 'closing' | 'done';

export type EndReason = 'duration' | 'interrupted' | 'no-active-producers' | 'fatal';

export interface Snapshot {
  phase: Phase;
  elapsedMs: number;
  durationMs: number;
  sentMessages: number;
  sentBytes: number;
  openTransports: number;
  failedTransports: number;
  totalTransports: number;
  bufferedAmount: number;
  errors: number;
}

export interface RunError {
  /** Milliseconds since the start. */
  atMs: number;
  transport?: number;
  producer?: number;
  message: string;
}

export type TransportStatus = 'pending' | 'connecting' | 'open' | 'failed' | 'aborted' | 'closed';

export interface ProducerResult {
  index: number;
  id: string | undefined;
  label: string;
  sent: number;
  bytes: number;
  error: string | undefined;
}

export interface TransportResult {
  index: number;
  id: string | undefined;
  status: TransportStatus;
  connectMs: number | undefined;
  error: string | undefined;
  producers: ProducerResult[];
}

export interface SecondSample {
  /** Epoch second. */
  second: number;
  sentMessages: number;
  sentBytes: number;
  /** Largest total bufferedAmount sampled in that second. */
  bufferedAmount: number;
  openTransports: number;
}

/** The message size was above what the router accepts: the run ended before sending. */
export type { MessageSizeProblem } from 'mediasoup-data-bots';

export interface EngineResult {
  runId: string;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number;
  endReason: EndReason;
  interrupted: boolean;
  /** Epoch ms of the first message sent, and of the end of sending. */
  sendStartedAt: number | undefined;
  sendEndedAt: number | undefined;
  /** Whether the end waited for buffers and the receiving side (not after an interrupt). */
  drained: boolean;
  sentMessages: number;
  sentBytes: number;
  maxBufferedAmount: number;
  transports: TransportResult[];
  timeline: SecondSample[];
  receiver: ReceiverReport | undefined;
  /** With consumers or rooms: what the consuming bots received. */
  consumers?: ConsumerSideResult;
  clientCpuSeconds: number;
  /** Peak resident memory of the client process(es), summed over shards (bytes). */
  clientMemoryBytes?: number;
  /** With shards: each one's process and outcome. */
  shards?: ShardOutcome[];
  workerCpuSeconds: number | undefined;
  errors: RunError[];
  errorCount: number;
  /**
   * What went wrong without making the figures wrong: an optional adapter method that
   * failed (receiver figures, worker CPU, closing a transport on the server). Identical
   * messages are given once, with a count.
   */
  warnings: string[];
  /** Set when the run ended because the router refuses messages of the configured size. */
  messageTooLarge?: MessageSizeProblem;
}

/** One shard of a sharded run, as the report shows it. */
export interface ShardOutcome {
  index: number;
  pid: number | undefined;
  /** Its transports: the run's first .. first + transports - 1. */
  first: number;
  transports: number;
  /** 'ok': it returned its result; 'failed': it crashed or was killed, its bots count as failed. */
  status: 'ok' | 'failed';
  /** How it ended when it failed (exit code or signal, or why it could not start). */
  error?: string;
  /** When its process ended, in milliseconds since the start of the run. */
  endedAtMs?: number;
  /** Messages it had sent by its last progress report (a failed shard's are not in the totals). */
  lastSentMessages: number;
  clientCpuSeconds?: number;
  clientMemoryBytes?: number;
  /** Its receiving side's latency histogram (Histogram.encode()), merged into the run's. */
  latencyHistogram?: string;
}

// The receiving side's checks, for whatever sits behind the router: the local router's
// DirectTransport in the demo, a bot's DataConsumers, or an app's own DataConsumer. Feed it every message with
// the id of the DataProducer it came from; it counts, checks order and measures latency,
// grouped by the run id that the CLI puts in each DataProducer's appData (`mdpRunId`).

import { Histogram, type Percentiles } from './histogram.js';
import { decodeMessage, epochNow } from './message.js';

/** What the receiving side saw of one run: returned by an adapter's `getReceiverStats()`. */
export interface ReceiverReport {
  messages: number;
  bytes: number;
  /** Messages whose sequence number was not above every earlier one of their producer. */
  outOfOrder: number;
  /** Messages too short to carry a sequence number and timestamp. */
  malformed: number;
  /**
   * Messages whose sequence number was not the previous one + 1 (the first must be 0): a
   * loss or a disorder, where reliable ordered delivery allows none. Optional: an app's own
   * getReceiverStats() may not count them.
   */
  gaps?: number;
  /** Messages of another size than the one registered for their producer. */
  wrongSize?: number;
  /** Messages that did not arrive as binary (SCTP PPID 53, or 57 when empty), when told the PPID. */
  notBinary?: number;
  /** Per DataProducer id. */
  producers: Record<string, ReceiverProducerReport>;
  /** Epoch milliseconds of the first and the last arrival. */
  firstAt?: number;
  lastAt?: number;
  /** One-way latency in milliseconds (send timestamp to arrival). */
  latencyMs?: Percentiles;
  /**
   * The latency histogram itself (Histogram.encode()), so that reports of several processes
   * merge exactly (Histogram.decode(), add()). Optional: an app's own getReceiverStats() may
   * not give it.
   */
  latencyHistogram?: string;
  /** Per second of arrival (epoch seconds). */
  timeline?: ReceiverSecond[];
}

export interface ReceiverProducerReport {
  messages: number;
  bytes: number;
  outOfOrder: number;
  gaps?: number;
  wrongSize?: number;
  notBinary?: number;
}

/** What a producer's messages must be, besides numbered from 0 in order. */
export interface ReceiverExpectation {
  /** Every message's length in bytes. */
  size?: number;
  /**
   * Count from the first message that arrives instead of from 0: for a DataConsumer that
   * opened after its producer began sending, what was sent before is none of its.
   */
  fromFirstArrival?: boolean;
}

/** One producer's (or consumer's) arrivals so far: cheap to read, unlike report(). */
export interface ReceiverProgress {
  messages: number;
  outOfOrder: number;
  /** Sequence numbers jumped over (a later one arrived first): lost unless they come late. */
  skipped: number;
  /** The sequence number counting started from: 0, or the first arrival's. */
  firstSeq: number | undefined;
}

export interface ReceiverCheckerOptions {
  /**
   * Measure one-way latency and keep a per-second timeline (default true). Without, record()
   * only counts and checks: for a receiver that must keep up with the fastest sender.
   */
  latency?: boolean;
}

export interface ReceiverSecond {
  /** Epoch second (Math.floor(ms / 1000)). */
  second: number;
  messages: number;
  bytes: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

interface ProducerEntry {
  run: RunEntry;
  expectedSize: number | undefined;
  messages: number;
  bytes: number;
  outOfOrder: number;
  gaps: number;
  wrongSize: number;
  notBinary: number;
  maxSeq: number;
  nextSeq: number;
  skipped: number;
  firstSeq: number | undefined;
}

const PPID_BINARY = 53;
const PPID_BINARY_EMPTY = 57;

interface RunEntry {
  producers: Map<string, ProducerEntry>;
  latency: Histogram;
  seconds: Map<number, { messages: number; bytes: number; latency: Histogram }>;
  malformed: number;
  firstAt: number | undefined;
  lastAt: number | undefined;
}

export class ReceiverChecker {
  private readonly runs = new Map<string, RunEntry>();
  private readonly producers = new Map<string, ProducerEntry>();
  private readonly latency: boolean;

  constructor({ latency = true }: ReceiverCheckerOptions = {}) {
    this.latency = latency;
  }

  /**
   * Tells which run a DataProducer belongs to (its appData.mdpRunId); others are ignored.
   * Registering it again starts its counts over.
   */
  register(dataProducerId: string, runId: string, expected: ReceiverExpectation = {}): void {
    let run = this.runs.get(runId);
    if (!run) {
      run = {
        producers: new Map(),
        latency: new Histogram(),
        seconds: new Map(),
        malformed: 0,
        firstAt: undefined,
        lastAt: undefined,
      };
      this.runs.set(runId, run);
    }
    const entry: ProducerEntry = {
      run,
      expectedSize: expected.size,
      messages: 0,
      bytes: 0,
      outOfOrder: 0,
      gaps: 0,
      wrongSize: 0,
      notBinary: 0,
      maxSeq: -1,
      nextSeq: 0,
      skipped: 0,
      firstSeq: expected.fromFirstArrival === true ? undefined : 0,
    };
    run.producers.set(dataProducerId, entry);
    this.producers.set(dataProducerId, entry);
  }

  /** Registers the producer when its appData names a run (what `produceData` received). */
  registerFromAppData(dataProducerId: string, appData: unknown): void {
    const runId = (appData as { mdpRunId?: unknown } | undefined)?.mdpRunId;
    if (typeof runId === 'string') this.register(dataProducerId, runId);
  }

  /**
   * One arrived message; `receivedAt` in epoch milliseconds (default: now); `ppid`, the SCTP
   * payload protocol id, when the receiver knows it. Returns its one-way latency in ms when
   * it is a numbered message of a registered producer.
   */
  record(
    dataProducerId: string,
    data: Uint8Array,
    receivedAt: number = epochNow(),
    ppid?: number,
  ): number | undefined {
    const entry = this.producers.get(dataProducerId);
    if (!entry) return undefined;
    const run = entry.run;
    if (ppid !== undefined && ppid !== PPID_BINARY && ppid !== PPID_BINARY_EMPTY) {
      entry.notBinary++;
    }
    if (entry.expectedSize !== undefined && data.byteLength !== entry.expectedSize) {
      entry.wrongSize++;
    }
    const header = decodeMessage(data);
    if (!header) {
      run.malformed++;
      return undefined;
    }
    if (entry.firstSeq === undefined) {
      entry.firstSeq = header.seq;
      entry.nextSeq = header.seq;
    }
    entry.messages++;
    entry.bytes += data.byteLength;
    run.firstAt ??= receivedAt;
    run.lastAt = receivedAt;
    if (header.seq <= entry.maxSeq) entry.outOfOrder++;
    else entry.maxSeq = header.seq;
    if (header.seq !== entry.nextSeq) entry.gaps++;
    if (header.seq > entry.nextSeq) entry.skipped += header.seq - entry.nextSeq;
    entry.nextSeq = header.seq + 1;
    const latency = receivedAt - header.sentAt;
    if (!this.latency) return latency;
    run.latency.record(latency);
    const second = Math.floor(receivedAt / 1000);
    let bucket = run.seconds.get(second);
    if (!bucket) {
      bucket = { messages: 0, bytes: 0, latency: new Histogram() };
      run.seconds.set(second, bucket);
    }
    bucket.messages++;
    bucket.bytes += data.byteLength;
    bucket.latency.record(latency);
    return latency;
  }

  /** What arrived for this run so far; undefined for a run never registered. */
  report(runId: string): ReceiverReport | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const producers: ReceiverReport['producers'] = {};
    let messages = 0;
    let bytes = 0;
    let outOfOrder = 0;
    let gaps = 0;
    let wrongSize = 0;
    let notBinary = 0;
    for (const [id, entry] of run.producers) {
      producers[id] = {
        messages: entry.messages,
        bytes: entry.bytes,
        outOfOrder: entry.outOfOrder,
        gaps: entry.gaps,
        wrongSize: entry.wrongSize,
        notBinary: entry.notBinary,
      };
      messages += entry.messages;
      bytes += entry.bytes;
      outOfOrder += entry.outOfOrder;
      gaps += entry.gaps;
      wrongSize += entry.wrongSize;
      notBinary += entry.notBinary;
    }
    const latencyMs = run.latency.summary();
    return {
      messages,
      bytes,
      outOfOrder,
      gaps,
      wrongSize,
      notBinary,
      malformed: run.malformed,
      producers,
      ...(run.firstAt !== undefined && { firstAt: run.firstAt }),
      ...(run.lastAt !== undefined && { lastAt: run.lastAt }),
      ...(latencyMs && { latencyMs, latencyHistogram: run.latency.encode() }),
      timeline: [...run.seconds.entries()]
        .sort(([a], [b]) => a - b)
        .map(([second, b]) => ({
          second,
          messages: b.messages,
          bytes: b.bytes,
          latencyP50Ms: b.latency.percentile(50),
          latencyP99Ms: b.latency.percentile(99),
        })),
    };
  }

  /** Messages of the producer counted so far (0 when unknown): cheap, unlike report(). */
  received(dataProducerId: string): number {
    return this.producers.get(dataProducerId)?.messages ?? 0;
  }

  /** The producer's arrivals so far; undefined when it was never registered. */
  progress(dataProducerId: string): ReceiverProgress | undefined {
    const entry = this.producers.get(dataProducerId);
    if (!entry) return undefined;
    return {
      messages: entry.messages,
      outOfOrder: entry.outOfOrder,
      skipped: entry.skipped,
      firstSeq: entry.firstSeq,
    };
  }

  /** Forgets a run (and its producers). */
  forget(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    for (const id of run.producers.keys()) this.producers.delete(id);
    this.runs.delete(runId);
  }
}

// The receiving side's checks, for whatever sits behind the router: the local router's
// DirectTransport in the demo, or an app's own DataConsumer. Feed it every message with
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
  /** Per DataProducer id. */
  producers: Record<string, { messages: number; bytes: number; outOfOrder: number }>;
  /** Epoch milliseconds of the first and the last arrival. */
  firstAt?: number;
  lastAt?: number;
  /** One-way latency in milliseconds (send timestamp to arrival). */
  latencyMs?: Percentiles;
  /** Per second of arrival (epoch seconds). */
  timeline?: ReceiverSecond[];
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
  messages: number;
  bytes: number;
  outOfOrder: number;
  maxSeq: number;
}

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

  /** Tells which run a DataProducer belongs to (its appData.mdpRunId); others are ignored. */
  register(dataProducerId: string, runId: string): void {
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
    const entry: ProducerEntry = { run, messages: 0, bytes: 0, outOfOrder: 0, maxSeq: -1 };
    run.producers.set(dataProducerId, entry);
    this.producers.set(dataProducerId, entry);
  }

  /** Registers the producer when its appData names a run (what `produceData` received). */
  registerFromAppData(dataProducerId: string, appData: unknown): void {
    const runId = (appData as { mdpRunId?: unknown } | undefined)?.mdpRunId;
    if (typeof runId === 'string') this.register(dataProducerId, runId);
  }

  /** One arrived message; `receivedAt` in epoch milliseconds (default: now). */
  record(dataProducerId: string, data: Uint8Array, receivedAt: number = epochNow()): void {
    const entry = this.producers.get(dataProducerId);
    if (!entry) return;
    const run = entry.run;
    const header = decodeMessage(data);
    if (!header) {
      run.malformed++;
      return;
    }
    entry.messages++;
    entry.bytes += data.byteLength;
    run.firstAt ??= receivedAt;
    run.lastAt = receivedAt;
    if (header.seq <= entry.maxSeq) entry.outOfOrder++;
    else entry.maxSeq = header.seq;
    const latency = receivedAt - header.sentAt;
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
  }

  /** What arrived for this run so far; undefined for a run never registered. */
  report(runId: string): ReceiverReport | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const producers: ReceiverReport['producers'] = {};
    let messages = 0;
    let bytes = 0;
    let outOfOrder = 0;
    for (const [id, entry] of run.producers) {
      producers[id] = {
        messages: entry.messages,
        bytes: entry.bytes,
        outOfOrder: entry.outOfOrder,
      };
      messages += entry.messages;
      bytes += entry.bytes;
      outOfOrder += entry.outOfOrder;
    }
    const latencyMs = run.latency.summary();
    return {
      messages,
      bytes,
      outOfOrder,
      malformed: run.malformed,
      producers,
      ...(run.firstAt !== undefined && { firstAt: run.firstAt }),
      ...(run.lastAt !== undefined && { lastAt: run.lastAt }),
      ...(latencyMs && { latencyMs }),
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

  /** Forgets a run (and its producers). */
  forget(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    for (const id of run.producers.keys()) this.producers.delete(id);
    this.runs.delete(runId);
  }
}

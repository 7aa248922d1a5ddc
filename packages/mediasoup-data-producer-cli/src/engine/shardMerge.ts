// One run out of its shards' results: counters summed, transports put together (a failed
// shard's as failed), the receiving side's latency histograms merged (HdrHistogram, not
// averaged), timelines added second by second.

import { Histogram, type ReceiverReport, type ReceiverSecond } from 'mediasoup-data-bots';

import { MAX_KEPT_ERRORS } from './runRecorder.js';
import type {
  ConsumerSideResult,
  EndReason,
  EngineResult,
  RunError,
  SecondSample,
  ShardOutcome,
  TransportResult,
} from './types.js';

/** A shard's part: its result, or why there is none. */
export type ShardPart =
  { outcome: ShardOutcome; result: EngineResult } | { outcome: ShardOutcome; result: undefined };

export interface MergeContext {
  runId: string;
  producers: number;
  labelOf: (transport: number, producer: number) => string;
  startedAt: number;
  endedAt: number;
  interrupted: boolean;
  /** CPU of the process that ran the shards (seconds), added to theirs. */
  parentCpuSeconds: number;
  workerCpuSeconds: number | undefined;
  warnings: string[];
}

/** The receiving side of several runs as one: sums, and the merged latency histogram. */
export function mergeReceiverReports(
  reports: readonly ReceiverReport[],
  warn: (message: string) => void = () => undefined,
): ReceiverReport | undefined {
  if (reports.length === 0) return undefined;
  const merged: ReceiverReport = {
    messages: 0,
    bytes: 0,
    outOfOrder: 0,
    malformed: 0,
    producers: {},
  };
  const latency = new Histogram();
  let latencyComplete = true;
  const seconds = new Map<number, ReceiverSecond>();
  const add = (key: 'gaps' | 'wrongSize' | 'notBinary', value: number | undefined): void => {
    if (value !== undefined) merged[key] = (merged[key] ?? 0) + value;
  };
  for (const r of reports) {
    merged.messages += r.messages;
    merged.bytes += r.bytes;
    merged.outOfOrder += r.outOfOrder;
    merged.malformed += r.malformed;
    add('gaps', r.gaps);
    add('wrongSize', r.wrongSize);
    add('notBinary', r.notBinary);
    Object.assign(merged.producers, r.producers);
    if (r.firstAt !== undefined) merged.firstAt = Math.min(merged.firstAt ?? r.firstAt, r.firstAt);
    if (r.lastAt !== undefined) merged.lastAt = Math.max(merged.lastAt ?? r.lastAt, r.lastAt);
    if (r.latencyHistogram !== undefined) latency.add(Histogram.decode(r.latencyHistogram));
    else if (r.latencyMs) latencyComplete = false;
    for (const s of r.timeline ?? []) {
      const into = seconds.get(s.second);
      if (!into) {
        seconds.set(s.second, { ...s });
        continue;
      }
      into.messages += s.messages;
      into.bytes += s.bytes;
      // Per-second percentiles come without their histogram: the worst shard's (an upper
      // bound), for the chart only; the run's percentiles above are exact.
      if (s.latencyP50Ms !== undefined) {
        into.latencyP50Ms = Math.max(into.latencyP50Ms ?? 0, s.latencyP50Ms);
      }
      if (s.latencyP99Ms !== undefined) {
        into.latencyP99Ms = Math.max(into.latencyP99Ms ?? 0, s.latencyP99Ms);
      }
    }
  }
  if (!latencyComplete) {
    warn(
      'the receiving side gave latency percentiles without their histogram (latencyHistogram): a sharded run cannot merge them, so no latency is shown',
    );
  } else if (latency.count > 0) {
    merged.latencyMs = latency.summary();
    merged.latencyHistogram = latency.encode();
  }
  merged.timeline = [...seconds.values()].sort((a, b) => a.second - b.second);
  return merged;
}

function mergeTimelines(timelines: readonly SecondSample[][]): SecondSample[] {
  const seconds = new Map<number, SecondSample>();
  for (const timeline of timelines) {
    for (const s of timeline) {
      const into = seconds.get(s.second);
      if (!into) {
        seconds.set(s.second, { ...s });
        continue;
      }
      into.sentMessages += s.sentMessages;
      into.sentBytes += s.sentBytes;
      into.bufferedAmount += s.bufferedAmount;
      into.openTransports += s.openTransports;
    }
  }
  return [...seconds.values()].sort((a, b) => a.second - b.second);
}

/** The transports of a shard that gave no result: failed, with the shard's end as the reason. */
function failedTransports(
  outcome: ShardOutcome,
  ctx: Pick<MergeContext, 'producers' | 'labelOf'>,
): TransportResult[] {
  return Array.from({ length: outcome.transports }, (_, i) => {
    const index = outcome.first + i;
    return {
      index,
      id: undefined,
      status: 'failed' as const,
      connectMs: undefined,
      error: `shard ${outcome.index} failed: ${outcome.error ?? 'no result'}`,
      producers: Array.from({ length: ctx.producers }, (_unused, p) => ({
        index: p,
        id: undefined,
        label: ctx.labelOf(index, p),
        sent: 0,
        bytes: 0,
        error: undefined,
      })),
    };
  });
}

/**
 * The consuming bots of every shard as one: each shard counted its consumers' expected and
 * lost against the run's sent counts (the `sent` barrier), so they add up.
 */
export function mergeConsumerSides(
  sides: readonly ConsumerSideResult[],
  warn: (message: string) => void = () => undefined,
): ConsumerSideResult | undefined {
  if (sides.length === 0) return undefined;
  return {
    recvTransports: {
      total: sides.reduce((n, c) => n + c.recvTransports.total, 0),
      opened: sides.reduce((n, c) => n + c.recvTransports.opened, 0),
      failed: sides.reduce((n, c) => n + c.recvTransports.failed, 0),
    },
    dataConsumers: sides.reduce((n, c) => n + c.dataConsumers, 0),
    expected: sides.reduce((n, c) => n + c.expected, 0),
    lost: sides.reduce((n, c) => n + c.lost, 0),
    ...(sides.some((c) => c.notExpected) && {
      notExpected: {
        dataConsumers: sides.reduce((n, c) => n + (c.notExpected?.dataConsumers ?? 0), 0),
        messages: sides.reduce((n, c) => n + (c.notExpected?.messages ?? 0), 0),
        bytes: sides.reduce((n, c) => n + (c.notExpected?.bytes ?? 0), 0),
      },
    }),
    // Not undefined: there is at least one.
    report: mergeReceiverReports(
      sides.map((c) => c.report),
      warn,
    ) as ReceiverReport,
  };
}

const minDefined = (values: (number | undefined)[]): number | undefined => {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
};
const maxDefined = (values: (number | undefined)[]): number | undefined => {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.max(...defined) : undefined;
};

export function mergeShardResults(parts: readonly ShardPart[], ctx: MergeContext): EngineResult {
  const results = parts.flatMap((p) => (p.result ? [p.result] : []));
  const warnings = [...ctx.warnings];
  const errors: RunError[] = [];
  let errorCount = 0;
  for (const part of parts) {
    if (!part.result) {
      errorCount++;
      errors.push({
        atMs: part.outcome.endedAtMs ?? Math.max(0, ctx.endedAt - ctx.startedAt),
        message: `shard ${part.outcome.index} (pid ${part.outcome.pid ?? '?'}, transports ${part.outcome.first}-${part.outcome.first + part.outcome.transports - 1}) failed: ${part.outcome.error ?? 'no result'}`,
      });
      continue;
    }
    errorCount += part.result.errorCount;
    errors.push(...part.result.errors);
    for (const w of part.result.warnings) if (!warnings.includes(w)) warnings.push(w);
  }
  const receivers = results.flatMap((r) => (r.receiver ? [r.receiver] : []));
  const receiver =
    receivers.length > 0
      ? mergeReceiverReports(receivers, (w) => {
          if (!warnings.includes(w)) warnings.push(w);
        })
      : undefined;
  const consumers = mergeConsumerSides(
    results.flatMap((r) => (r.consumers ? [r.consumers] : [])),
    (w) => {
      if (!warnings.includes(w)) warnings.push(w);
    },
  );
  const timeline = mergeTimelines(results.map((r) => r.timeline));
  const transports = parts
    .flatMap((p) => (p.result ? p.result.transports : failedTransports(p.outcome, ctx)))
    .sort((a, b) => a.index - b.index);
  const endReasons = new Set(results.map((r) => r.endReason));
  const endReason: EndReason = ctx.interrupted
    ? 'interrupted'
    : endReasons.has('fatal')
      ? 'fatal'
      : endReasons.has('duration')
        ? 'duration'
        : 'no-active-producers';
  const memory = results.map((r) => r.clientMemoryBytes ?? 0);
  const messageTooLarge = results.find((r) => r.messageTooLarge)?.messageTooLarge;
  return {
    runId: ctx.runId,
    startedAt: ctx.startedAt,
    endedAt: ctx.endedAt,
    endReason,
    interrupted: ctx.interrupted,
    sendStartedAt: minDefined(results.map((r) => r.sendStartedAt)),
    sendEndedAt: maxDefined(results.map((r) => r.sendEndedAt)),
    drained: results.length > 0 && results.every((r) => r.drained),
    sentMessages: results.reduce((n, r) => n + r.sentMessages, 0),
    sentBytes: results.reduce((n, r) => n + r.sentBytes, 0),
    maxBufferedAmount: Math.max(
      0,
      ...timeline.map((s) => s.bufferedAmount),
      ...results.map((r) => r.maxBufferedAmount),
    ),
    transports,
    timeline,
    receiver,
    ...(consumers && { consumers }),
    clientCpuSeconds: ctx.parentCpuSeconds + results.reduce((n, r) => n + r.clientCpuSeconds, 0),
    clientMemoryBytes: memory.reduce((a, b) => a + b, 0),
    shards: parts.map((p) => p.outcome),
    workerCpuSeconds: ctx.workerCpuSeconds,
    errors: errors.sort((a, b) => a.atMs - b.atMs).slice(0, MAX_KEPT_ERRORS),
    errorCount,
    warnings,
    ...(messageTooLarge && { messageTooLarge }),
  };
}

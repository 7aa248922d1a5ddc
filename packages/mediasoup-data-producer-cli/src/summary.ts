// The figures of a finished run, the verdict (exit code) and the summary table.

import { percentilesOf, type Percentiles } from 'mediasoup-data-bots';

import type { EngineResult, LoadConfig } from './engine/index.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from './exitCodes.js';
import { describeMessageTooLarge } from './options.js';

export interface Throughput {
  messagesPerSecond: number;
  /** 10^6 bytes of payload per second. */
  megabytesPerSecond: number;
}

export interface Summary {
  command: string;
  runId: string;
  startedAt: string;
  /** From start to the end of closing. */
  wallSeconds: number;
  /** From the first message sent to the end of sending. */
  sendSeconds: number;
  transports: { total: number; opened: number; failed: number; aborted: number };
  producers: { total: number; opened: number };
  sent: { messages: number; bytes: number };
  /** Absent when the receiving side does not report (load against an app without getReceiverStats). */
  received?: { messages: number; bytes: number };
  lost?: number;
  outOfOrder?: number;
  malformed?: number;
  throughput: { sent: Throughput; received?: Throughput };
  /** With --consumers or --room-size: what the consuming bots received. */
  consumers?: ConsumerSummary;
  latencyMs?: Percentiles;
  connectMs?: Percentiles;
  maxBufferedAmount: number;
  cpu: {
    clientSeconds: number;
    /** Of one core, over the wall time. */
    clientPercent: number;
    workerSeconds?: number;
    workerPercent?: number;
    /** Client CPU per bot-second: microseconds, over the opened bots and the wall time. */
    clientPerBotSecondUs?: number;
  };
  /** Peak resident memory of the client process(es) (all shards), and per bot. */
  memory?: { clientBytes: number; perBotBytes: number };
  /** With shards: how many, and which failed (their bots count as failed). */
  shards?: { total: number; failed: number[] };
  reliable: boolean;
  ordered: boolean;
  errors: number;
  outcome: 'ok' | 'failed' | 'interrupted';
  exitCode: number;
  /** Why the run failed (empty when it passed). */
  problems: string[];
  /** Remarks that do not fail the run. */
  remarks: string[];
}

const COUNTING =
  'every message sent: the producers started once every DataConsumer was open; what had not arrived by the end of the drain is lost';
const COUNTING_SHARDED =
  "every message sent: the producers started once every DataConsumer of every shard was open; what had not arrived by the end of the drain is lost; a failed shard's producers are not expected";

/** Delivery at the consumers: expected = each producer's sent × its fan-out. */
export interface ConsumerSummary {
  /** e.g. `rooms of 4` or `3 consumers per producer`. */
  mode: string;
  recvTransports: { total: number; opened: number; failed: number };
  dataConsumers: number;
  /** DataConsumers per producer that opened, on average. */
  fanOut: number;
  /**
   * How `expected` was decided: producers sent only once every DataConsumer was open, so
   * each is expected every message its producer sent; what has not arrived by the end of
   * the drain is lost.
   */
  counting: string;
  expected: number;
  /** Of what was expected (not what came from a failed shard's producers). */
  received: { messages: number; bytes: number };
  /** Sharded runs: what came from producers of a shard that failed (not expected). */
  notExpected?: { dataConsumers: number; messages: number; bytes: number };
  lost: number;
  outOfOrder: number;
  malformed: number;
  /** End to end: the send timestamp to the consumer's message event, one clock. */
  latencyMs?: Percentiles;
  throughput?: Throughput;
}

export function describeFanOut(config: LoadConfig): string | undefined {
  if ((config.roomSize ?? 0) > 0) return `rooms of ${config.roomSize}`;
  const n = config.consumers ?? 0;
  if (n > 0) return `${n} consumer${n === 1 ? '' : 's'} per producer`;
  return undefined;
}

function throughput(messages: number, bytes: number, seconds: number): Throughput {
  if (seconds <= 0) return { messagesPerSecond: 0, megabytesPerSecond: 0 };
  return { messagesPerSecond: messages / seconds, megabytesPerSecond: bytes / 1e6 / seconds };
}

export function summarize(command: string, config: LoadConfig, result: EngineResult): Summary {
  const wallSeconds = (result.endedAt - result.startedAt) / 1000;
  const sendSeconds =
    result.sendStartedAt !== undefined && result.sendEndedAt !== undefined
      ? Math.max(0, (result.sendEndedAt - result.sendStartedAt) / 1000)
      : 0;
  const reliable = config.maxRetransmits === undefined && config.maxPacketLifeTime === undefined;
  const ordered = config.ordered ?? reliable;
  const transports = result.transports;
  const opened = transports.filter((t) => t.connectMs !== undefined);
  const summary: Summary = {
    command,
    runId: result.runId,
    startedAt: new Date(result.startedAt).toISOString(),
    wallSeconds,
    sendSeconds,
    transports: {
      total: transports.length,
      opened: opened.length,
      failed: transports.filter((t) => t.status === 'failed').length,
      aborted: transports.filter((t) => t.status === 'aborted' || t.status === 'pending').length,
    },
    producers: {
      total: transports.length * config.producers,
      opened: opened.reduce((n, t) => n + t.producers.length, 0),
    },
    sent: { messages: result.sentMessages, bytes: result.sentBytes },
    throughput: { sent: throughput(result.sentMessages, result.sentBytes, sendSeconds) },
    maxBufferedAmount: result.maxBufferedAmount,
    cpu: {
      clientSeconds: result.clientCpuSeconds,
      clientPercent: wallSeconds > 0 ? (100 * result.clientCpuSeconds) / wallSeconds : 0,
      ...(result.workerCpuSeconds !== undefined && {
        workerSeconds: result.workerCpuSeconds,
        workerPercent: wallSeconds > 0 ? (100 * result.workerCpuSeconds) / wallSeconds : 0,
      }),
    },
    reliable,
    ordered,
    errors: result.errorCount,
    outcome: 'ok',
    exitCode: EXIT_OK,
    problems: [],
    remarks: [],
  };
  if (opened.length > 0 && wallSeconds > 0) {
    summary.cpu.clientPerBotSecondUs =
      (1e6 * result.clientCpuSeconds) / (opened.length * wallSeconds);
  }
  if (result.clientMemoryBytes !== undefined && transports.length > 0) {
    summary.memory = {
      clientBytes: result.clientMemoryBytes,
      perBotBytes: result.clientMemoryBytes / transports.length,
    };
  }
  if (result.shards) {
    summary.shards = {
      total: result.shards.length,
      failed: result.shards.filter((s) => s.status === 'failed').map((s) => s.index),
    };
  }
  const connectMs = percentilesOf(opened.map((t) => t.connectMs ?? 0));
  if (connectMs) summary.connectMs = connectMs;

  const receiver = result.receiver;
  if (receiver) {
    summary.received = { messages: receiver.messages, bytes: receiver.bytes };
    let lost = 0;
    for (const t of transports) {
      for (const p of t.producers) {
        if (p.id === undefined) continue;
        lost += Math.max(0, p.sent - (receiver.producers[p.id]?.messages ?? 0));
      }
    }
    summary.lost = lost;
    summary.outOfOrder = receiver.outOfOrder;
    summary.malformed = receiver.malformed;
    if (receiver.latencyMs) summary.latencyMs = receiver.latencyMs;
    if (result.sendStartedAt !== undefined && receiver.lastAt !== undefined) {
      summary.throughput.received = throughput(
        receiver.messages,
        receiver.bytes,
        (receiver.lastAt - result.sendStartedAt) / 1000,
      );
    }
  }

  const consumers = result.consumers;
  if (consumers) {
    const r = consumers.report;
    const producers = summary.producers.opened;
    summary.consumers = {
      mode: describeFanOut(config) ?? 'consumers',
      recvTransports: consumers.recvTransports,
      dataConsumers: consumers.dataConsumers,
      fanOut: producers > 0 ? consumers.dataConsumers / producers : 0,
      counting: result.shards ? COUNTING_SHARDED : COUNTING,
      expected: consumers.expected,
      // What was expected's counterpart: without what came from a failed shard's producers.
      received: {
        messages: r.messages - (consumers.notExpected?.messages ?? 0),
        bytes: r.bytes - (consumers.notExpected?.bytes ?? 0),
      },
      ...(consumers.notExpected && { notExpected: consumers.notExpected }),
      lost: consumers.lost,
      outOfOrder: r.outOfOrder,
      malformed: r.malformed,
      ...(r.latencyMs && { latencyMs: r.latencyMs }),
      ...(result.sendStartedAt !== undefined &&
        r.lastAt !== undefined && {
          throughput: throughput(r.messages, r.bytes, (r.lastAt - result.sendStartedAt) / 1000),
        }),
    };
  }

  const received = summary.throughput.received;
  if (
    received &&
    summary.sendSeconds >= 1 &&
    received.messagesPerSecond < 0.9 * summary.throughput.sent.messagesPerSecond
  ) {
    summary.remarks.push(
      'the receiving side fell behind the senders (received throughput below sent), so latency ' +
        'includes its backlog: add --rate to measure latency below saturation',
    );
  }
  if (result.receiver && !result.drained && !result.interrupted) {
    summary.remarks.push('the end did not wait for every message (see --drain-timeout)');
  }

  const problems = summary.problems;
  if (result.messageTooLarge) problems.push(describeMessageTooLarge(result.messageTooLarge));
  if (result.sentMessages === 0) problems.push('no message was sent');
  for (const shard of result.shards ?? []) {
    if (shard.status === 'failed') {
      problems.push(
        `shard ${shard.index} (pid ${shard.pid ?? '?'}) failed: ${shard.error ?? 'no result'}`,
      );
    }
  }
  if (summary.transports.failed > 0) {
    problems.push(`${summary.transports.failed} of ${transports.length} transports failed`);
  }
  const producerErrors = transports.reduce(
    (n, t) => n + t.producers.filter((p) => p.error !== undefined).length,
    0,
  );
  if (producerErrors > 0) problems.push(`${producerErrors} producers stopped on an error`);
  if (result.errorCount > 0 && problems.length === 0) {
    problems.push(`${result.errorCount} errors`);
  }
  if (receiver && !result.interrupted) {
    if (reliable && (summary.lost ?? 0) > 0) problems.push(`${summary.lost} messages lost`);
    if (ordered && receiver.outOfOrder > 0) {
      problems.push(`${receiver.outOfOrder} messages out of order`);
    }
    if (receiver.malformed > 0) problems.push(`${receiver.malformed} malformed messages`);
  }
  const c = summary.consumers;
  if (c && !result.interrupted) {
    if (c.recvTransports.failed > 0) {
      problems.push(
        `${c.recvTransports.failed} of ${c.recvTransports.total} recv transports failed`,
      );
    }
    if (reliable && c.lost > 0) problems.push(`${c.lost} messages lost at the consumers`);
    if (ordered && c.outOfOrder > 0) {
      problems.push(`${c.outOfOrder} messages out of order at the consumers`);
    }
    if (c.malformed > 0) problems.push(`${c.malformed} malformed messages at the consumers`);
  }
  if (result.interrupted) {
    summary.outcome = 'interrupted';
    summary.exitCode = EXIT_INTERRUPTED;
  } else if (problems.length > 0) {
    summary.outcome = 'failed';
    summary.exitCode = EXIT_FAILED;
  }
  return summary;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return integer.format(n);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A rate: whole numbers grouped, fractions (0.1 msg/s) kept. */
export function formatRate(n: number): string {
  return n >= 100 || Number.isInteger(n) ? formatCount(n) : String(Number(n.toPrecision(3)));
}

function describeConfig(config: LoadConfig): string {
  const rate = config.rate > 0 ? `${formatRate(config.rate)} msg/s each` : 'unlimited rate';
  const mode = [
    config.ordered === false ||
    config.maxRetransmits !== undefined ||
    config.maxPacketLifeTime !== undefined
      ? 'unordered'
      : 'ordered',
    config.maxRetransmits !== undefined ? `maxRetransmits ${config.maxRetransmits}` : undefined,
    config.maxPacketLifeTime !== undefined
      ? `maxPacketLifeTime ${config.maxPacketLifeTime} ms`
      : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return (
    `${config.transports} transports × ${config.producers} producer${config.producers === 1 ? '' : 's'}, ` +
    `${formatCount(config.size)} B messages, ${rate}, ${config.durationMs / 1000} s` +
    (config.rampUpMs > 0 ? ` (ramp-up ${config.rampUpMs / 1000} s)` : '') +
    (describeFanOut(config) ? `, ${describeFanOut(config)}` : '') +
    `, ${mode}`
  );
}

/** The summary table, as printed at the end of a run. */
export function formatSummary(
  summary: Summary,
  config: LoadConfig,
  extra: { reportDir?: string; jsonPath?: string; notes?: string[] } = {},
): string {
  const rows: [string, string][] = [];
  const na = 'n/a (the receiving side does not report)';
  const s = summary;
  rows.push([
    'transports',
    `${s.transports.opened} opened of ${s.transports.total}` +
      (s.transports.failed > 0 ? `, ${s.transports.failed} failed` : '') +
      (s.transports.aborted > 0 ? `, ${s.transports.aborted} not opened (run ended)` : '') +
      ` (${s.producers.opened} producers)`,
  ]);
  rows.push(['sent', `${formatCount(s.sent.messages)} messages (${formatBytes(s.sent.bytes)})`]);
  rows.push([
    'received',
    s.received
      ? `${formatCount(s.received.messages)} messages (${formatBytes(s.received.bytes)})`
      : na,
  ]);
  rows.push([
    'lost',
    s.lost === undefined
      ? na
      : formatCount(s.lost) +
        (s.outcome === 'interrupted' ? ' (interrupted: not drained)' : '') +
        (!s.reliable ? ' (partially reliable: loss allowed)' : ''),
  ]);
  rows.push([
    'out of order',
    s.outOfOrder === undefined
      ? na
      : formatCount(s.outOfOrder) + (!s.ordered ? ' (unordered: allowed)' : ''),
  ]);
  const t = s.throughput;
  rows.push([
    'throughput',
    `sent ${formatCount(t.sent.messagesPerSecond)} msg/s, ${t.sent.megabytesPerSecond.toFixed(2)} MB/s` +
      (t.received
        ? `; received ${formatCount(t.received.messagesPerSecond)} msg/s, ${t.received.megabytesPerSecond.toFixed(2)} MB/s`
        : ''),
  ]);
  const l = s.latencyMs;
  rows.push([
    'latency',
    l
      ? `p50 ${formatMs(l.p50)}, p95 ${formatMs(l.p95)}, p99 ${formatMs(l.p99)}, max ${formatMs(l.max)}`
      : na,
  ]);
  const cs = s.consumers;
  if (cs) {
    rows.push([
      'consumers',
      `${cs.mode}: ${formatCount(cs.dataConsumers)} DataConsumers on ${cs.recvTransports.opened} of ` +
        `${cs.recvTransports.total} recv transports (fan-out ${cs.fanOut.toFixed(cs.fanOut % 1 === 0 ? 0 : 2)})` +
        (cs.recvTransports.failed > 0 ? `, ${cs.recvTransports.failed} failed` : ''),
    ]);
    rows.push(['counted', cs.counting]);
    rows.push([
      'delivered',
      `${formatCount(cs.received.messages)} of ${formatCount(cs.expected)} expected ` +
        `(${formatBytes(cs.received.bytes)})` +
        (cs.throughput
          ? `, ${formatCount(cs.throughput.messagesPerSecond)} msg/s, ${cs.throughput.megabytesPerSecond.toFixed(2)} MB/s`
          : '') +
        (cs.notExpected
          ? `; besides, ${formatCount(cs.notExpected.messages)} from a failed shard's producers on ${cs.notExpected.dataConsumers} DataConsumers`
          : ''),
    ]);
    rows.push([
      'delivery lost',
      formatCount(cs.lost) +
        (s.outcome === 'interrupted' ? ' (interrupted: not drained)' : '') +
        (!s.reliable ? ' (partially reliable: loss allowed)' : ''),
    ]);
    rows.push([
      'delivery order',
      `${formatCount(cs.outOfOrder)} out of order` + (!s.ordered ? ' (unordered: allowed)' : ''),
    ]);
    const e = cs.latencyMs;
    rows.push([
      'e2e latency',
      e
        ? `p50 ${formatMs(e.p50)}, p95 ${formatMs(e.p95)}, p99 ${formatMs(e.p99)}, max ${formatMs(e.max)}`
        : 'n/a (nothing delivered)',
    ]);
  }
  const c = s.connectMs;
  rows.push([
    'connect time',
    c
      ? `p50 ${formatMs(c.p50)}, p99 ${formatMs(c.p99)}, max ${formatMs(c.max)}`
      : 'n/a (none opened)',
  ]);
  rows.push(['max bufferedAmount', formatBytes(s.maxBufferedAmount)]);
  rows.push([
    'CPU',
    `client ${s.cpu.clientSeconds.toFixed(2)} s (${s.cpu.clientPercent.toFixed(0)} %)` +
      (s.cpu.workerSeconds !== undefined
        ? `, worker ${s.cpu.workerSeconds.toFixed(2)} s (${(s.cpu.workerPercent ?? 0).toFixed(0)} %)`
        : ', worker n/a'),
  ]);
  if (s.cpu.clientPerBotSecondUs !== undefined || s.memory) {
    rows.push([
      'per bot',
      [
        s.cpu.clientPerBotSecondUs !== undefined &&
          `client CPU ${formatCount(s.cpu.clientPerBotSecondUs)} µs per bot-second`,
        s.memory &&
          `memory ${formatBytes(Math.round(s.memory.perBotBytes))} (client peak RSS ${formatBytes(s.memory.clientBytes)} in all)`,
      ]
        .filter(Boolean)
        .join(', '),
    ]);
  }
  if (s.shards) {
    rows.push([
      'shards',
      `${s.shards.total} processes` +
        (s.shards.failed.length > 0 ? `, failed: ${s.shards.failed.join(', ')}` : ', all ended'),
    ]);
  }
  rows.push(['errors', formatCount(s.errors)]);
  rows.push([
    'time',
    `${s.wallSeconds.toFixed(1)} s in all, ${s.sendSeconds.toFixed(1)} s sending`,
  ]);
  rows.push([
    'result',
    s.outcome === 'ok'
      ? 'OK'
      : s.outcome === 'interrupted'
        ? `INTERRUPTED (exit ${s.exitCode})`
        : `FAILED (exit ${s.exitCode}): ${s.problems.join('; ')}`,
  ]);
  if (extra.reportDir) rows.push(['report', extra.reportDir]);
  if (extra.jsonPath) rows.push(['json', extra.jsonPath]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `Summary of ${s.command}: ${describeConfig(config)}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ...[...s.remarks, ...(extra.notes ?? [])].map((n) => `  note: ${n}`),
  ];
  return lines.join('\n') + '\n';
}

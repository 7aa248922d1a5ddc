// Summaries, Markdown tables and the machine description.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

import type { ThroughputResult } from './measure.js';
import type { LatencyResult, ReceiveResult } from './receive.js';
import type { ScaleResult } from './scale.js';
import { formatBytes, median } from './util.js';

export interface Summary {
  client: string;
  size: number;
  rounds: number;
  okRounds: number;
  messagesPerSecond: Range;
  megabytesPerSecond: Range;
  clientCpuSeconds: number;
  workerCpuSeconds: number;
  /** CPU milliseconds per MB (10^6 B) delivered, median over rounds. */
  clientCpuMsPerMB: number;
  workerCpuMsPerMB: number;
  verified: { count: boolean; order: boolean; bytes: boolean };
  /** Medians over the successful rounds. */
  sendSeconds: number;
  blockedSeconds: number;
  backlogAtStopMB: number;
  clientBacklogAtStopMB: number;
  drainMs: number;
  consumerMegabytesPerSecond: number;
  /** Where the rates were taken ('worker' unless the worker's count was unavailable). */
  rateAt: string;
  wakeups: { event: number; poll: number };
  errors: string[];
}

export interface Range {
  median: number;
  min: number;
  max: number;
}

export function range(values: number[]): Range {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** One summary per client and size, over that pair's successful rounds. */
export function summarize(
  results: ThroughputResult[],
  clients: string[],
  sizes: number[],
): Summary[] {
  const summaries: Summary[] = [];
  for (const size of sizes) {
    for (const client of clients) {
      const all = results.filter((r) => r.client === client && r.size === size);
      if (all.length === 0) continue;
      const ok = all.filter((r) => r.ok);
      summaries.push({
        client,
        size,
        rounds: all.length,
        okRounds: ok.length,
        messagesPerSecond: range(ok.map((r) => r.messagesPerSecond)),
        megabytesPerSecond: range(ok.map((r) => r.megabytesPerSecond)),
        clientCpuSeconds: median(ok.map((r) => r.clientCpuSeconds)),
        workerCpuSeconds: median(ok.map((r) => r.workerCpuSeconds)),
        clientCpuMsPerMB: median(
          ok.map((r) => (r.clientCpuSeconds * 1000) / (r.receivedBytes / 1e6)),
        ),
        workerCpuMsPerMB: median(
          ok.map((r) => (r.workerCpuSeconds * 1000) / (r.receivedBytes / 1e6)),
        ),
        verified: {
          count: all.every((r) => r.verification.count),
          order: all.every((r) => r.verification.order),
          bytes: all.every((r) => r.verification.bytes),
        },
        sendSeconds: median(ok.map((r) => r.sendMs / 1000)),
        blockedSeconds: median(ok.map((r) => r.waitMs / 1000)),
        backlogAtStopMB: median(ok.map((r) => r.backlogAtStopBytes / 1e6)),
        clientBacklogAtStopMB: median(ok.map((r) => r.clientBacklogAtStopBytes / 1e6)),
        drainMs: median(ok.map((r) => r.drainMs)),
        consumerMegabytesPerSecond: median(ok.map((r) => r.consumerMegabytesPerSecond)),
        rateAt: [...new Set(ok.map((r) => r.rateAt))].join('+') || '—',
        wakeups: {
          event: all.reduce((sum, r) => sum + r.wakeups.event, 0),
          poll: all.reduce((sum, r) => sum + r.wakeups.poll, 0),
        },
        errors: [...new Set(all.flatMap((r) => (r.error ? [`round ${r.round}: ${r.error}`] : [])))],
      });
    }
  }
  return summaries;
}

/** A number for a table or a log line; '—' for NaN, null (a NaN that went through JSON), ±Infinity. */
export function fmt(value: number | null, digits = 1): string {
  if (value === null) return '—';
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

export function fmtRange(r: Range, digits = 1): string {
  if (!Number.isFinite(r.median)) return '—';
  return `${fmt(r.median, digits)} (${fmt(r.min, digits)}–${fmt(r.max, digits)})`;
}

/** Columns of text (left-aligned); every other column is a number (right-aligned). */
const TEXT_COLUMNS = new Set(['size', 'client', 'verified', 'status']);

function table(header: string[], rows: string[][]): string {
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((h) => (TEXT_COLUMNS.has(h) ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  return lines.join('\n');
}

function verifiedText(s: Summary): string {
  if (s.okRounds === 0) return `FAILED (0/${s.rounds})`;
  const v = s.verified;
  const parts = [
    v.count ? 'count ✓' : 'count ✗',
    v.order ? 'order ✓' : 'order ✗',
    v.bytes ? 'bytes ✓' : 'bytes ✗',
  ];
  const rounds = s.okRounds === s.rounds ? '' : ` (${s.okRounds}/${s.rounds} rounds ok)`;
  return parts.join(' ') + rounds;
}

export function throughputTable(summaries: Summary[]): string {
  const rows = summaries.map((s) => [
    formatBytes(s.size),
    s.client,
    fmtRange(s.megabytesPerSecond, 2) + (s.rateAt === 'worker' ? '' : ' †'),
    fmtRange(s.messagesPerSecond, 0),
    fmt(s.clientCpuSeconds, 2),
    fmt(s.workerCpuSeconds, 2),
    fmt(s.clientCpuMsPerMB, 1),
    fmt(s.workerCpuMsPerMB, 1),
    verifiedText(s),
  ]);
  return table(
    [
      'size',
      'client',
      'MB/s median (min–max)',
      'msg/s median (min–max)',
      'client CPU s',
      'worker CPU s',
      'client CPU ms/MB',
      'worker CPU ms/MB',
      'verified',
    ],
    rows,
  );
}

/** How the pacing went: where the time went and how much the client queued. */
export function pacingTable(summaries: Summary[]): string {
  const rows = summaries.map((s) => [
    formatBytes(s.size),
    s.client,
    fmt(s.sendSeconds, 2),
    fmt(s.blockedSeconds, 2),
    `${s.wakeups.event}/${s.wakeups.poll}`,
    fmt(s.backlogAtStopMB, 2),
    fmt(s.clientBacklogAtStopMB, 2),
    fmt(s.drainMs, 0),
    fmt(s.consumerMegabytesPerSecond, 2),
  ]);
  return table(
    [
      'size',
      'client',
      'sending (s)',
      'blocked on bufferedAmount (s)',
      'waits ended by event/poll',
      'undelivered when sending stopped (MB)',
      '… of it not yet at the worker (MB)',
      'until the worker had all, after stop (ms)',
      'MB/s to the Node consumer',
    ],
    rows,
  );
}

/** Ratios of medians (MB/s; msg/s gives the same at one size) of `base` against the others. */
export function ratioTable(
  summaries: Pick<Summary, 'client' | 'size' | 'megabytesPerSecond'>[],
  base: string,
  others: string[],
  sizes: number[],
): string {
  const get = (client: string, size: number): number =>
    summaries.find((s) => s.client === client && s.size === size)?.megabytesPerSecond.median ?? NaN;
  const rows = sizes.map((size) => [
    formatBytes(size),
    ...others.map((other) => {
      const ratio = get(base, size) / get(other, size);
      return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
    }),
  ]);
  return table(['size', ...others.map((o) => `${base}/${o}`)], rows);
}

export function scaleTable(results: ScaleResult[]): string {
  const rows = results.map((r) => [
    r.client,
    String(r.n),
    `${r.opened}/${r.n}`,
    fmt(r.allOpenMs / 1000, 2) + (r.rampPerSecond ? ` (ramp ${r.rampPerSecond}/s)` : ''),
    fmt(r.connectMs.p50, 0),
    fmt(r.connectMs.p99, 0),
    fmt(r.rssPerTransportKiB, 0),
    fmt((((r.processCpuSeconds ?? NaN) + (r.externalCpuSeconds ?? 0)) / r.n) * 1000, 1),
    `${r.delivered}/${r.n}`,
    fmt(r.idle?.usPerBotSecond ?? NaN, 0),
    fmt(r.steady?.usPerBotSecond ?? NaN, 0),
    r.steady ? fmt(1e6 / r.steady.usPerBotSecond, 0) : '–',
    r.steady?.delivered === undefined ? '–' : `${r.steady.delivered}/${r.n}`,
    fmt(r.closeMs / 1000, 2),
    r.ok ? 'ok' : `FAILED: ${r.error ?? ''}`,
  ]);
  return table(
    [
      'client',
      'N',
      'opened',
      'all open (s)',
      'connect p50 (ms)',
      'connect p99 (ms)',
      'client RSS/transport (KiB)',
      'client CPU/transport (ms)',
      'delivered 1 msg',
      'idle CPU/bot-s (µs)',
      'CPU/bot-s at 1 msg/s (µs)',
      'bots per core at 1 msg/s',
      'delivered at 1 msg/s',
      'close all (s)',
      'status',
    ],
    rows,
  );
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/**
 * CPU seconds the whole machine has been busy (all cores, all processes) since boot, from
 * /proc/stat; NaN where that does not exist.
 */
export function systemBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [label, ...fields] = line.trim().split(/\s+/);
    if (label !== 'cpu') return NaN;
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] =
      fields.map(Number);
    // USER_HZ is 100 on Linux.
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
}

export interface ReceiveSummary {
  client: string;
  size: number;
  rounds: number;
  okRounds: number;
  megabytesPerSecond: Range;
  messagesPerSecond: Range;
  clientCpuSeconds: number;
  clientCpuMsPerMB: number;
  workerCpuMsPerMB: number;
  /** Router host (Node) CPU seconds per second of the measurement: near 1, it is the limit. */
  hostCpuShare: number;
  /** Over all rounds: a valid run has none. */
  drops: number;
  verified: { count: boolean; order: boolean; bytes: boolean };
  /** Medians over the successful rounds: the router's pacing. */
  checks: number;
  fullChecks: number;
  maxBacklogKiB: number;
  drainMs: number;
  errors: string[];
}

export function summarizeReceive(
  results: ReceiveResult[],
  clients: string[],
  sizes: number[],
): ReceiveSummary[] {
  const summaries: ReceiveSummary[] = [];
  for (const size of sizes) {
    for (const client of clients) {
      const all = results.filter((r) => r.client === client && r.size === size);
      if (all.length === 0) continue;
      const ok = all.filter((r) => r.ok);
      summaries.push({
        client,
        size,
        rounds: all.length,
        okRounds: ok.length,
        megabytesPerSecond: range(ok.map((r) => r.megabytesPerSecond)),
        messagesPerSecond: range(ok.map((r) => r.messagesPerSecond)),
        clientCpuSeconds: median(ok.map((r) => r.clientCpuSeconds)),
        clientCpuMsPerMB: median(
          ok.map((r) => (r.clientCpuSeconds * 1000) / (r.receivedBytes / 1e6)),
        ),
        workerCpuMsPerMB: median(
          ok.map((r) => (r.workerCpuSeconds * 1000) / (r.receivedBytes / 1e6)),
        ),
        hostCpuShare: median(ok.map((r) => r.hostCpuSeconds / (r.elapsedMs / 1000))),
        drops: all.reduce((sum, r) => sum + r.drops, 0),
        verified: {
          count: all.every((r) => r.verification.count),
          order: all.every((r) => r.verification.order),
          bytes: all.every((r) => r.verification.bytes),
        },
        checks: median(ok.map((r) => r.pacing?.checks ?? NaN)),
        fullChecks: median(ok.map((r) => r.pacing?.fullChecks ?? NaN)),
        maxBacklogKiB: median(ok.map((r) => (r.pacing?.maxBacklog ?? NaN) / 1024)),
        drainMs: median(ok.map((r) => r.drainMs)),
        errors: [...new Set(all.flatMap((r) => (r.error ? [`round ${r.round}: ${r.error}`] : [])))],
      });
    }
  }
  return summaries;
}

function receiveVerified(s: ReceiveSummary): string {
  if (s.okRounds === 0) return `FAILED (0/${s.rounds})`;
  const v = s.verified;
  const parts = [
    v.count ? 'count ✓' : 'count ✗',
    v.order ? 'order ✓' : 'order ✗',
    v.bytes ? 'size ✓' : 'size ✗',
  ];
  const rounds = s.okRounds === s.rounds ? '' : ` (${s.okRounds}/${s.rounds} rounds ok)`;
  return parts.join(' ') + rounds;
}

export function receiveTable(summaries: ReceiveSummary[]): string {
  return table(
    [
      'size',
      'client',
      'MB/s median (min–max)',
      'msg/s median (min–max)',
      'client CPU s',
      'client CPU ms/MB',
      'worker CPU ms/MB',
      'router host CPU share',
      'router drops',
      'verified',
    ],
    summaries.map((s) => [
      formatBytes(s.size),
      s.client,
      fmtRange(s.megabytesPerSecond, 2),
      fmtRange(s.messagesPerSecond, 0),
      fmt(s.clientCpuSeconds, 2),
      fmt(s.clientCpuMsPerMB, 1),
      fmt(s.workerCpuMsPerMB, 1),
      `${Math.round(s.hostCpuShare * 100)}%`,
      String(s.drops),
      receiveVerified(s),
    ]),
  );
}

/** How the router's pacing went (medians over the successful rounds). */
export function receivePacingTable(summaries: ReceiveSummary[]): string {
  return table(
    [
      'size',
      'client',
      'buffer checks',
      '… that found it full',
      'largest backlog (KiB)',
      'last send → last arrival (ms)',
    ],
    summaries.map((s) => [
      formatBytes(s.size),
      s.client,
      fmt(s.checks, 0),
      fmt(s.fullChecks, 0),
      fmt(s.maxBacklogKiB, 0),
      fmt(s.drainMs, 0),
    ]),
  );
}

export interface LatencySummary {
  client: string;
  rounds: number;
  okRounds: number;
  /** Medians over the successful rounds. */
  p50: number;
  p95: number;
  p99: number;
  /** Largest over the successful rounds. */
  max: number;
  messages: number;
  achievedRate: number;
  /** Over all rounds. */
  drops: number;
  errors: string[];
}

export function summarizeLatency(results: LatencyResult[], clients: string[]): LatencySummary[] {
  return clients.flatMap((client) => {
    const all = results.filter((r) => r.client === client);
    if (all.length === 0) return [];
    const ok = all.filter((r) => r.ok);
    return [
      {
        client,
        rounds: all.length,
        okRounds: ok.length,
        p50: median(ok.map((r) => r.p50)),
        p95: median(ok.map((r) => r.p95)),
        p99: median(ok.map((r) => r.p99)),
        max: ok.length > 0 ? Math.max(...ok.map((r) => r.max)) : NaN,
        messages: ok.reduce((sum, r) => sum + r.received, 0),
        achievedRate: median(ok.map((r) => r.achievedRate)),
        drops: all.reduce((sum, r) => sum + r.drops, 0),
        errors: [...new Set(all.flatMap((r) => (r.error ? [`round ${r.round}: ${r.error}`] : [])))],
      },
    ];
  });
}

export function latencyTable(summaries: LatencySummary[]): string {
  return table(
    [
      'client',
      'p50 (ms)',
      'p95 (ms)',
      'p99 (ms)',
      'max (ms)',
      'messages',
      'sent msg/s',
      'router drops',
      'status',
    ],
    summaries.map((s) => [
      s.client,
      fmt(s.p50, 2),
      fmt(s.p95, 2),
      fmt(s.p99, 2),
      fmt(s.max, 2),
      String(s.messages),
      fmt(s.achievedRate, 0),
      String(s.drops),
      s.okRounds === 0
        ? `FAILED (0/${s.rounds})`
        : s.okRounds === s.rounds
          ? 'all verified'
          : `${s.okRounds}/${s.rounds} rounds ok`,
    ]),
  );
}

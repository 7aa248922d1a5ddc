// The report folder: report.json (the raw figures) and chart.svg (throughput and latency
// over time, drawn with vega-lite and rendered headless by vega).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { version } from 'mediasoup-data-producer';
import { errorMessage, importModule } from 'mediasoup-data-bots';

import type { EngineResult, LoadConfig } from './engine/index.js';
import type { Summary } from './summary.js';

export interface TimelineRow {
  /** Seconds since the start of the run (the second the run started in is 0). */
  t: number;
  sentMessages: number;
  sentBytes: number;
  receivedMessages?: number;
  receivedBytes?: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  /** With consumers or rooms: what the consuming bots received, and its end-to-end latency. */
  deliveredMessages?: number;
  deliveredBytes?: number;
  deliveredLatencyP50Ms?: number;
  deliveredLatencyP99Ms?: number;
  bufferedAmount: number;
  openTransports: number;
}

export interface Report {
  tool: 'mediasoup-data-producer';
  version: string;
  command: string;
  options: LoadConfig;
  summary: Summary;
  timeline: TimelineRow[];
  transports: EngineResult['transports'];
  errors: EngineResult['errors'];
  warnings: EngineResult['warnings'];
  /** The receiving side's latency histogram (mediasoup-data-bots Histogram.encode()). */
  latencyHistogram?: string;
  /** A sharded run's shards. */
  shards?: EngineResult['shards'];
}

/**
 * The vega-lite major version that chartSpec() names when it is not told the installed one
 * (vega-lite could not be loaded). A unit test keeps it equal to the dependency's.
 */
export const FALLBACK_VEGA_LITE_VERSION = '6';

/** The JSON schema of a vega-lite version's specs: vega-lite 6.4.3 → …/vega-lite/v6.json. */
export function vegaLiteSchemaUrl(vegaLiteVersion: string): string {
  const major = /^\d+/.exec(vegaLiteVersion)?.[0];
  if (major === undefined) {
    throw new Error(`expected a vega-lite version such as 6.4.3, got "${vegaLiteVersion}"`);
  }
  return `https://vega.github.io/schema/vega-lite/v${major}.json`;
}

export function buildReport(
  command: string,
  config: LoadConfig,
  result: EngineResult,
  summary: Summary,
): Report {
  const first = Math.floor(result.startedAt / 1000);
  const rows = new Map<number, TimelineRow>();
  const row = (second: number): TimelineRow => {
    let r = rows.get(second);
    if (!r) {
      r = {
        t: second - first,
        sentMessages: 0,
        sentBytes: 0,
        bufferedAmount: 0,
        openTransports: 0,
      };
      rows.set(second, r);
    }
    return r;
  };
  for (const s of result.timeline) {
    const r = row(s.second);
    r.sentMessages = s.sentMessages;
    r.sentBytes = s.sentBytes;
    r.bufferedAmount = s.bufferedAmount;
    r.openTransports = s.openTransports;
  }
  for (const s of result.receiver?.timeline ?? []) {
    const r = row(s.second);
    r.receivedMessages = s.messages;
    r.receivedBytes = s.bytes;
    if (s.latencyP50Ms !== undefined) r.latencyP50Ms = s.latencyP50Ms;
    if (s.latencyP99Ms !== undefined) r.latencyP99Ms = s.latencyP99Ms;
  }
  for (const s of result.consumers?.report.timeline ?? []) {
    const r = row(s.second);
    r.deliveredMessages = s.messages;
    r.deliveredBytes = s.bytes;
    if (s.latencyP50Ms !== undefined) r.deliveredLatencyP50Ms = s.latencyP50Ms;
    if (s.latencyP99Ms !== undefined) r.deliveredLatencyP99Ms = s.latencyP99Ms;
  }
  for (const r of rows.values()) {
    if (result.receiver) r.receivedMessages ??= 0;
    if (result.consumers) r.deliveredMessages ??= 0;
  }
  return {
    tool: 'mediasoup-data-producer',
    version,
    command,
    options: config,
    summary,
    timeline: [...rows.values()].sort((a, b) => a.t - b.t),
    transports: result.transports,
    errors: result.errors,
    warnings: result.warnings,
    ...(result.receiver?.latencyHistogram !== undefined && {
      latencyHistogram: result.receiver.latencyHistogram,
    }),
    ...(result.shards && { shards: result.shards }),
  };
}

/** reports/<local time, like 2025-01-31T12-00-00> under the current directory. */
export function defaultReportDir(now = new Date(), cwd = process.cwd()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp =
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
    `T${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  return resolve(cwd, 'reports', stamp);
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * The vega-lite spec of the chart: throughput on top, latency below when known. Its
 * `$schema` names the version that compiles it: pass the loaded vega-lite's `version`.
 */
export function chartSpec(
  report: Report,
  vegaLiteVersion: string = FALLBACK_VEGA_LITE_VERSION,
): Record<string, unknown> {
  const throughput: { t: number; series: string; value: number }[] = [];
  const latency: { t: number; series: string; value: number }[] = [];
  for (const r of report.timeline) {
    throughput.push({ t: r.t, series: 'sent', value: r.sentMessages });
    if (r.receivedMessages !== undefined) {
      throughput.push({ t: r.t, series: 'received by the router', value: r.receivedMessages });
    }
    if (r.deliveredMessages !== undefined) {
      throughput.push({ t: r.t, series: 'delivered to consumers', value: r.deliveredMessages });
    }
    const points: [string, number | undefined][] = [
      ['to the router p50', r.latencyP50Ms],
      ['to the router p99', r.latencyP99Ms],
      ['end to end p50', r.deliveredLatencyP50Ms],
      ['end to end p99', r.deliveredLatencyP99Ms],
    ];
    for (const [series, value] of points) {
      if (value !== undefined) latency.push({ t: r.t, series, value });
    }
  }
  const x = { field: 't', type: 'quantitative', title: 'time (s)' };
  const panel = (
    values: typeof throughput,
    title: string,
    yTitle: string,
  ): Record<string, unknown> => ({
    title,
    width: 640,
    height: 200,
    data: { values },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 400 } },
    },
  });
  const s = report.summary;
  const panels = [panel(throughput, 'Throughput (messages per second)', 'messages/s')];
  if (latency.length > 0) panels.push(panel(latency, 'One-way latency', 'ms'));
  return {
    $schema: vegaLiteSchemaUrl(vegaLiteVersion),
    title: {
      text: `mediasoup-data-producer ${report.command}`,
      subtitle: `${s.transports.total} transports, ${s.producers.total} producers, ${report.options.size} B messages, started ${s.startedAt}`,
    },
    background: 'white',
    vconcat: panels,
    // Each panel its own colours and legend: throughput series and latency series differ.
    resolve: { scale: { color: 'independent' } },
  };
}

interface VegaLiteModule {
  version: string;
  compile(spec: unknown): { spec: unknown };
}
interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => VegaView;
}

/** Renders the chart to SVG; vega and vega-lite are loaded only here. */
export async function renderChartSvg(spec: Record<string, unknown>): Promise<string> {
  const vegaLite = (await importModule('vega-lite')) as VegaLiteModule;
  const vega = (await importModule('vega')) as VegaModule;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface WrittenReport {
  dir: string;
  json: string;
  /** chart.svg, or chart.vl.json (the spec) when vega could not be loaded. */
  chart: string | undefined;
  notes: string[];
}

export async function writeReport(dir: string, report: Report): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  writeJson(json, report);
  const notes: string[] = [];
  let spec = chartSpec(report);
  let chart: string | undefined;
  try {
    const vegaLite = (await importModule('vega-lite')) as VegaLiteModule;
    spec = chartSpec(report, vegaLite.version);
    const svg = await renderChartSvg(spec);
    chart = join(dir, 'chart.svg');
    writeFileSync(chart, svg);
  } catch (error) {
    chart = join(dir, 'chart.vl.json');
    writeJson(chart, spec);
    notes.push(
      `no chart.svg: could not render with vega (${errorMessage(error)}); ` +
        'the vega-lite spec is in chart.vl.json (npm install vega vega-lite to get the SVG)',
    );
  }
  return { dir, json, chart, notes };
}

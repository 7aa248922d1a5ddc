// The benchmark: `npm run bench` (or `npx tsx bench/run.ts`). See bench/README.md for
// what it measures and the environment variables that tune it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { loadClient } from './clients/index.js';
import type { BenchClient } from './clients/types.js';
import { throughputSvg } from './lib/chart.js';
import { loadConfig, type BenchConfig, type ClientName } from './lib/config.js';
import { emptyResult, measureThroughput, type ThroughputResult } from './lib/measure.js';
import {
  emptyReceiveResult,
  measureLatency,
  measureReceive,
  type LatencyResult,
  type ReceiveResult,
} from './lib/receive.js';
import {
  fmt,
  latencyTable,
  receivePacingTable,
  receiveTable,
  summarizeLatency,
  summarizeReceive,
  type LatencySummary,
  type ReceiveSummary,
  machineInfo,
  pacingTable,
  ratioTable,
  scaleTable,
  summarize,
  systemBusySeconds,
  throughputTable,
  type MachineInfo,
  type Summary,
} from './lib/report.js';
import type { ScaleResult } from './lib/scale.js';
import { runScaleInChild } from './lib/scaleRunner.js';
import { errorMessage, formatBytes } from './lib/util.js';
import { RouterProxy } from './router/proxy.js';

/** After this many failed measurements in a row a client's remaining ones are skipped. */
const MAX_CONSECUTIVE_FAILURES = 2;
const PEERS: readonly ClientName[] = ['mediasoup-client', 'msc-node', 'chromium'];
const RATIO_AGAINST: readonly ClientName[] = ['raw', 'mediasoup-client', 'msc-node'];

interface Failure {
  client: string;
  phase: string;
  error: string;
}

function packageVersion(name: string): string {
  try {
    const file = join(__dirname, '..', 'node_modules', name, 'package.json');
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: string };
    return parsed.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeMachine(machine: MachineInfo): string {
  return (
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, ` +
    `${machine.platform}, node ${machine.node}, ${machine.date}`
  );
}

function oneLine(r: ThroughputResult): string {
  const head = `  ${r.client.padEnd(16)} ${formatBytes(r.size).padStart(6)} round ${r.round}:`;
  if (!r.ok) return `${head} FAILED: ${r.error ?? 'unknown'}`;
  return (
    `${head} ${r.megabytesPerSecond.toFixed(2).padStart(8)} MB/s ` +
    `${Math.round(r.messagesPerSecond).toString().padStart(7)} msg/s, ` +
    `cpu ${r.clientCpuSeconds.toFixed(2)} s, worker ${r.workerCpuSeconds.toFixed(2)} s, ` +
    `worker had all ${r.drainMs.toFixed(0)} ms after stop, blocked ${r.waitMs.toFixed(0)} ms ` +
    `(waits ended by event/poll ${r.wakeups.event}/${r.wakeups.poll}), verified` +
    (r.error ? ` (note: ${r.error})` : '')
  );
}

function receiveLine(r: ReceiveResult): string {
  const head = `  ${r.client.padEnd(16)} ${formatBytes(r.size).padStart(6)} round ${r.round}:`;
  if (!r.ok) return `${head} FAILED: ${r.error ?? 'unknown'}`;
  return (
    `${head} ${r.megabytesPerSecond.toFixed(2).padStart(8)} MB/s ` +
    `${Math.round(r.messagesPerSecond).toString().padStart(7)} msg/s, ` +
    `cpu ${r.clientCpuSeconds.toFixed(2)} s, worker ${r.workerCpuSeconds.toFixed(2)} s, ` +
    `router: ${r.sent} sent, ${r.drops} dropped, ${r.pacing?.checks ?? 0} checks ` +
    `(${r.pacing?.fullChecks ?? 0} full), backlog ≤ ${Math.round((r.pacing?.maxBacklog ?? 0) / 1024)} KiB; ` +
    `last arrival ${r.drainMs.toFixed(0)} ms after the last send, verified` +
    (r.error ? ` (note: ${r.error})` : '')
  );
}

function latencyLine(r: LatencyResult): string {
  const head = `  ${r.client.padEnd(16)} round ${r.round}:`;
  if (!r.ok) return `${head} FAILED: ${r.error ?? 'unknown'}`;
  return (
    `${head} p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
    `max ${r.max.toFixed(2)} ms over ${r.received} messages (${Math.round(r.achievedRate)} msg/s), verified`
  );
}

class ClientState {
  consecutiveFailures = 0;
  skipReason: string | undefined;
  constructor(readonly client: BenchClient) {}

  /** A fresh failure count for another section, on the same client. */
  fresh(): ClientState {
    return new ClientState(this.client);
  }

  record(result: { ok: boolean; error?: string }): void {
    if (result.ok) {
      this.consecutiveFailures = 0;
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
      this.skipReason = `skipped after ${this.consecutiveFailures} failed measurements in a row (last: ${result.error ?? 'unknown'})`;
    }
  }
}

function skipped(client: string, size: number, round: number, reason: string): ThroughputResult {
  return { ...emptyResult(client, size, round), error: reason };
}

async function runThroughput(
  states: ClientState[],
  router: RouterProxy,
  config: BenchConfig,
  failures: Failure[],
): Promise<ThroughputResult[]> {
  const results: ThroughputResult[] = [];
  if (config.warmupSeconds > 0) {
    log(`\nwarm-up: ${config.warmupSeconds} s of 16 KiB messages per client (not recorded)`);
    for (const state of states) {
      const r = await measureThroughput(
        state.client,
        router,
        config,
        16 * 1024,
        0,
        config.warmupSeconds,
      );
      log(oneLine(r));
      if (!r.ok) failures.push({ client: r.client, phase: 'warm-up', error: r.error ?? 'unknown' });
    }
  }
  for (const size of config.sizes) {
    log(
      `\nthroughput, ${formatBytes(size)} messages, ${config.rounds} round(s) of ${config.seconds} s:`,
    );
    for (let round = 1; round <= config.rounds; round++) {
      for (const state of states) {
        const name = state.client.name;
        let r: ThroughputResult;
        if (state.skipReason !== undefined) {
          r = skipped(name, size, round, state.skipReason);
        } else {
          r = await measureThroughput(state.client, router, config, size, round, config.seconds);
          state.record(r);
          if (!r.ok) {
            failures.push({
              client: name,
              phase: `${formatBytes(size)} round ${round}`,
              error: r.error ?? 'unknown',
            });
          }
        }
        results.push(r);
        log(oneLine(r));
        if (router.dead !== undefined) throw new Error(router.dead);
      }
    }
  }
  return results;
}

async function runReceive(
  sectionStates: ClientState[],
  router: RouterProxy,
  config: BenchConfig,
  failures: Failure[],
): Promise<ReceiveResult[]> {
  const states = sectionStates.map((s) => s.fresh());
  const results: ReceiveResult[] = [];
  if (config.warmupSeconds > 0) {
    log(
      `\nreceive warm-up: ${config.warmupSeconds} s of 16 KiB messages per client (not recorded)`,
    );
    for (const state of states) {
      const r = await measureReceive(
        state.client,
        router,
        config,
        16 * 1024,
        0,
        config.warmupSeconds,
      );
      log(receiveLine(r));
      if (!r.ok) {
        failures.push({ client: r.client, phase: 'receive warm-up', error: r.error ?? 'unknown' });
      }
    }
  }
  for (const size of config.recvSizes) {
    log(
      `\nreceive, ${formatBytes(size)} messages from the router, ${config.rounds} round(s) of ${config.seconds} s:`,
    );
    for (let round = 1; round <= config.rounds; round++) {
      for (const state of states) {
        const name = state.client.name;
        let r: ReceiveResult;
        if (state.skipReason !== undefined) {
          r = { ...emptyReceiveResult(name, size, round), error: state.skipReason };
        } else {
          r = await measureReceive(state.client, router, config, size, round, config.seconds);
          state.record(r);
          if (!r.ok) {
            failures.push({
              client: name,
              phase: `receive ${formatBytes(size)} round ${round}`,
              error: r.error ?? 'unknown',
            });
          }
        }
        results.push(r);
        log(receiveLine(r));
        if (router.dead !== undefined) throw new Error(router.dead);
      }
    }
  }
  return results;
}

async function runLatency(
  sectionStates: ClientState[],
  router: RouterProxy,
  config: BenchConfig,
  failures: Failure[],
): Promise<LatencyResult[]> {
  const states = sectionStates.map((s) => s.fresh());
  const results: LatencyResult[] = [];
  log(
    `\nlatency, client → router → client of the same stack, ${formatBytes(config.latencySize)} at ` +
      `${config.latencyRate} msg/s for ${config.latencySeconds} s, ${config.rounds} round(s):`,
  );
  for (let round = 1; round <= config.rounds; round++) {
    for (const state of states) {
      if (state.skipReason !== undefined) continue;
      const r = await measureLatency(state.client, router, config, round);
      state.record(r);
      if (!r.ok) {
        failures.push({
          client: r.client,
          phase: `latency round ${round}`,
          error: r.error ?? 'unknown',
        });
      }
      results.push(r);
      log(latencyLine(r));
      if (router.dead !== undefined) throw new Error(router.dead);
    }
  }
  return results;
}

async function runScale(
  states: ClientState[],
  router: RouterProxy,
  config: BenchConfig,
  failures: Failure[],
): Promise<ScaleResult[]> {
  const results: ScaleResult[] = [];
  const loaded = new Set(states.map((state) => state.client.name));
  for (const n of config.scale) {
    for (const name of config.scaleClients) {
      // A throughput client that could not load here would not load in the child either.
      if (config.clients.includes(name) && !loaded.has(name)) continue;
      if (PEERS.includes(name) && n > config.scalePeerMaxN) continue;
      log(`\nscale: ${name}, ${n} transports opened at once (in a fresh process) ...`);
      const r = await runScaleInChild(router, name, n, config);
      results.push(r);
      log(
        `  ${r.opened}/${n} open in ${fmt(r.allOpenMs / 1000, 2)} s, connect p50 ${fmt(r.connectMs.p50, 0)} ms ` +
          `p99 ${fmt(r.connectMs.p99, 0)} ms, RSS/transport ${fmt(r.rssPerTransportKiB, 0)} KiB, ` +
          `delivered ${r.delivered}/${n}, closed in ${fmt(r.closeMs / 1000, 2)} s` +
          (r.ok ? '' : `, FAILED: ${r.error ?? ''} ${JSON.stringify(r.failures)}`) +
          (r.ok && r.error ? ` (note: ${r.error})` : ''),
      );
      if (!r.ok || r.lingered) {
        failures.push({ client: name, phase: `scale N=${n}`, error: r.error ?? 'unknown' });
      }
      if (router.dead !== undefined) throw new Error(router.dead);
    }
  }
  return results;
}

async function shutdown(
  states: ClientState[],
  router: RouterProxy | undefined,
  loaded: Set<string>,
): Promise<void> {
  for (const state of states) {
    try {
      await state.client.dispose();
    } catch (error) {
      log(`dispose ${state.client.name}: ${errorMessage(error)}`);
    }
  }
  await router?.close();
  // The raw client's peers set no close callbacks, so node-datachannel holds the event loop
  // for them until cleanup() (the library never calls it: it is process-wide). Every peer of
  // this process is closed now, so the benchmark, which owns them all, may call it.
  if (loaded.has('raw') || loaded.has('ours')) {
    const { cleanup } = await import('node-datachannel');
    cleanup();
  }
}

interface ReportInput {
  config: BenchConfig;
  machine: MachineInfo;
  versions: Record<string, string>;
  routerVersion: string;
  states: ClientState[];
  summaries: Summary[];
  receive: ReceiveSummary[];
  latency: LatencySummary[];
  scale: ScaleResult[];
  failures: Failure[];
  interference: Interference | undefined;
}

/** How much CPU the rest of the machine used while we ran. */
interface Interference {
  wallSeconds: number;
  /** All cores, all processes (from /proc/stat). */
  machineBusySeconds: number;
  /** This process, the router host, the worker and the scale processes. */
  benchmarkSeconds: number;
  otherSeconds: number;
  /** otherSeconds / (cores x wallSeconds). */
  otherShare: number;
}

function renderMarkdown(input: ReportInput): string[] {
  const { config, machine, summaries, scale, failures } = input;
  const clientNames = input.states.map((s) => s.client.name);
  const lines: string[] = [];
  lines.push(`## mediasoup-data-producer benchmark, ${machine.date}`);
  lines.push('');
  lines.push(`Machine: ${describeMachine(machine)}.`);
  const [loadStart = 0] = machine.loadAverage;
  const other = input.interference;
  lines.push(
    `Load average (1 min) at the start: ${loadStart.toFixed(2)}. ` +
      (other && Number.isFinite(other.otherShare)
        ? `Other processes used ${other.otherSeconds.toFixed(0)} CPU-s during the run ` +
          `(${(other.otherShare * 100).toFixed(0)}% of ${machine.cores} cores × ${other.wallSeconds.toFixed(0)} s)` +
          (other.otherShare > 0.1
            ? ' — **the machine was not idle: expect noisy figures; rerun on a quiet machine for numbers to quote**.'
            : '.')
        : 'CPU used by other processes: unknown (no /proc/stat).'),
  );
  lines.push(
    `Router: mediasoup ${input.routerVersion}, one worker, a DirectTransport consuming every DataProducer; ` +
      "it runs in its own process, which verifies every message (so CPU and RSS below are the clients' own). " +
      `Clients: ${input.states.map((s) => `**${s.client.name}** = ${s.client.stack}`).join('; ')}.`,
  );
  lines.push(
    `Versions: ${Object.entries(input.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  );
  const present = new Set(clientNames);
  const others = RATIO_AGAINST.filter((c) => present.has(c));
  if (config.sections.includes('send')) {
    lines.push(
      `Each measurement: a fresh transport with one ordered, reliable DataProducer; ${config.seconds} s of sending, ` +
        `paced the same for every client (send while bufferedAmount < ${formatBytes(config.highWater)}, then wait for ` +
        `bufferedamountlow at ${formatBytes(config.lowWater)}, with a ${config.pollMs} ms bufferedAmount poll as a safety net); ` +
        'then a bounded wait until the router has every message. Rate = messages (bytes) the router received / (first send → ' +
        'the mediasoup worker had the last one: its DataProducer counters, polled every 10 ms' +
        (summaries.some((x) => x.rateAt.includes('consumer'))
          ? '; † = at the DirectTransport consumer instead'
          : '') +
        '); every message is also verified (sequence, size, PPID) where the DirectTransport hands it to Node. ' +
        `${config.rounds} interleaved round(s) per size; MB = 10^6 B. CPU = user + system seconds of the client process ` +
        'and of the mediasoup worker during the measurement.',
    );
    lines.push('');
    lines.push('### Throughput');
    lines.push('');
    lines.push(summaries.length > 0 ? throughputTable(summaries) : '(no throughput measurements)');
    lines.push('');
    if (present.has('ours') && others.length > 0) {
      lines.push('### Ratios (median MB/s)');
      lines.push('');
      lines.push(ratioTable(summaries, 'ours', [...others], config.sizes));
      lines.push('');
    } else if (present.has('raw') && others.length > 1) {
      lines.push(
        '### Ratios (median MB/s): ours was not run; raw (the ceiling of our stack) against the others',
      );
      lines.push('');
      lines.push(
        ratioTable(
          summaries,
          'raw',
          others.filter((c) => c !== 'raw'),
          config.sizes,
        ),
      );
      lines.push('');
    }
  }
  if (summaries.length > 0) {
    lines.push('### Pacing (medians)');
    lines.push('');
    lines.push(pacingTable(summaries));
    lines.push('');
    const notes = pacingNotes(summaries, config);
    for (const note of notes) lines.push(`- ${note}`);
    if (notes.length > 0) lines.push('');
  }
  lines.push(...receiveSection(input));
  lines.push(...latencySection(input));
  if (scale.length > 0) {
    lines.push('### Scale: N transports, one DataProducer each, opened at once from one process');
    lines.push('');
    lines.push(scaleTable(scale));
    lines.push('');
    lines.push(
      'Each row runs in a fresh process. Connect time: open() call to DataProducer open, all N started together. ' +
        'RSS per transport: (RSS with all open − RSS before) / opened, both after a full GC' +
        `${scale.filter((s) => s.opened > 0).every((s) => s.gc) ? '' : ' (gc was NOT available: the figures include garbage)'}. ` +
        `Above N = ${config.scaleAtOnceMaxN} they open at a ramp of ${config.scaleRampPerSecond} per second instead (the row says so), connect time still from each open() call. ` +
        'Then every transport sends one message and the router must get each. ' +
        "CPU per transport: the scale process's CPU (and its browser's, for chromium) over the whole row, divided by N. " +
        `Then ${config.scaleSteadySeconds} s idle (all open, nothing sent) and ${config.scaleSteadySeconds} s with every transport sending one 100-byte message a second (one 10 ms tick spreading them over the second; every message must arrive): ` +
        'the client CPU (all threads of the scale process, plus the browser) per transport-second of each window; bots per core = 10⁶ / that µs figure. ' +
        'Chromium pages take one call from the benchmark per message, which would measure the driver: they have the idle window only. ' +
        (scale.some((s) => s.client === 'chromium')
          ? '**chromium** = mediasoup-client (Chrome111 handler) in a headless Chromium page per transport ' +
            '(Debian chromium driven by playwright-core, `bash bench/chromium/setup.sh`); its memory is the ' +
            "proportional set size of the browser's processes, so that what pages share counts once."
          : 'Headless Chromium pages (`bash bench/chromium/setup.sh`) join this table once set up.'),
    );
    lines.push('');
  }
  if (failures.length > 0) {
    lines.push('### Failures');
    lines.push('');
    for (const f of failures) lines.push(`- ${f.client}, ${f.phase}: ${f.error}`);
    lines.push('');
  }
  return lines;
}

function receiveSection({ config, receive, states }: ReportInput): string[] {
  if (receive.length === 0) return [];
  const lines: string[] = [];
  lines.push('### Receive: router → client');
  lines.push('');
  lines.push(
    'Each measurement: a fresh recv transport with one DataConsumer of a fresh DataProducer on the ' +
      `router's DirectTransport, which sends the CLI's load messages for ${config.seconds} s, paced on its ` +
      `DataConsumer's getBufferedAmount() (at most ${formatBytes(config.recvHighWater)} and ` +
      `${config.recvMaxChunks} DATA chunks of about 1,100 bytes in the SCTP send buffer or on their way to it, ` +
      `${config.recvSendBuffer > 0 ? `a send buffer of ${formatBytes(config.recvSendBuffer)}` : "mediasoup's default send buffer"}: mediasoup drops ` +
      "what does not fit and emits sctpsendbufferfull, counted as drops); every message verified at the client by the CLI's " +
      'ReceiverChecker (count, order, size, binary). Rate = bytes received / (first send at the router → last ' +
      'arrival at the client). Client CPU includes the verification. Router host CPU share: CPU seconds of the ' +
      "router host's Node process (the sending loop and mediasoup's channel to its worker) per second of the " +
      'measurement: near 100 %, the router side, not the client, sets the rate.',
  );
  lines.push('');
  lines.push(receiveTable(receive));
  lines.push('');
  const present = new Set(states.map((s) => s.client.name));
  const others = RATIO_AGAINST.filter((c) => present.has(c));
  if (present.has('ours') && others.length > 0) {
    lines.push('#### Receive ratios (median MB/s)');
    lines.push('');
    lines.push(ratioTable(receive, 'ours', [...others], config.recvSizes));
    lines.push('');
  }
  lines.push("#### The router's pacing (medians)");
  lines.push('');
  lines.push(receivePacingTable(receive));
  lines.push('');
  return lines;
}

function latencySection({ config, latency }: ReportInput): string[] {
  if (latency.length === 0) return [];
  return [
    '### Latency: client → router → client',
    '',
    `Client A's DataProducer → router → client B's DataConsumer, both of the same stack in this process; ` +
      `${formatBytes(config.latencySize)} messages at ${config.latencyRate} msg/s for ${config.latencySeconds} s ` +
      `per round, ${config.rounds} round(s); one-way from A's send() to B's message event (the send time is ` +
      "in the message). Percentiles: medians over rounds of each round's percentile (log histogram, within 1 %); max: over all rounds.",
    '',
    latencyTable(latency),
    '',
  ];
}

/** What the pacing figures say, in words. */
function pacingNotes(summaries: Summary[], config: BenchConfig): string[] {
  const notes: string[] = [];
  const clients = [...new Set(summaries.map((s) => s.client))];
  for (const client of clients) {
    const mine = summaries.filter((s) => s.client === client);
    const events = mine.reduce((sum, s) => sum + s.wakeups.event, 0);
    const polls = mine.reduce((sum, s) => sum + s.wakeups.poll, 0);
    if (events === 0 && polls > 0) {
      notes.push(
        `${client} never emitted bufferedamountlow: every wait for the buffer ended by the ${config.pollMs} ms ` +
          'bufferedAmount poll (an application waiting for the event alone would stall).',
      );
    }
    const unbounded = mine.filter((s) => s.clientBacklogAtStopMB > (4 * config.highWater) / 1e6);
    if (unbounded.length > 0) {
      const worst = unbounded.reduce((a, b) =>
        a.clientBacklogAtStopMB > b.clientBacklogAtStopMB ? a : b,
      );
      notes.push(
        `${client}: bufferedAmount does not bound what it queues: when sending stopped it still held at least ` +
          `${worst.clientBacklogAtStopMB.toFixed(1)} MB (${formatBytes(worst.size)}) beyond what the worker had ` +
          `received, against a ${formatBytes(config.highWater)} high-water mark; the drain time is part of its rate.`,
      );
    }
  }
  const routerBound = summaries.filter(
    (s) => s.backlogAtStopMB - s.clientBacklogAtStopMB > (4 * config.highWater) / 1e6,
  );
  if (routerBound.length > 0) {
    const list = routerBound
      .map(
        (s) =>
          `${s.client} ${formatBytes(s.size)} (${(s.backlogAtStopMB - s.clientBacklogAtStopMB).toFixed(1)} MB)`,
      )
      .join(', ');
    notes.push(
      "The router's own delivery to Node (worker → DirectTransport consumer, the verification tap) fell behind for " +
        `${list}: the rates above are taken at the worker and do not wait for that queue, but draining it ` +
        'competes for the same cores, and the "MB/s to the Node consumer" column is capped by it.',
    );
  }
  return notes;
}

async function measureInterference(
  router: RouterProxy,
  scale: ScaleResult[],
  start: { busy0: number; cpu0: NodeJS.CpuUsage; wall0: number },
  cores: number,
): Promise<Interference> {
  const machineBusySeconds = systemBusySeconds() - start.busy0;
  const own = process.cpuUsage(start.cpu0);
  const [host, worker] = await Promise.all([router.hostCpuSeconds(), router.workerCpuSeconds()]);
  // A browser's processes are the scale child's, not its own CPU: counted as the benchmark's.
  const children = scale.reduce(
    (sum, s) => sum + (s.processCpuSeconds ?? 0) + (s.externalCpuSeconds ?? 0),
    0,
  );
  const benchmarkSeconds = (own.user + own.system) / 1e6 + host + worker + children;
  const wallSeconds = (performance.now() - start.wall0) / 1000;
  const otherSeconds = Math.max(0, machineBusySeconds - benchmarkSeconds);
  return {
    wallSeconds,
    machineBusySeconds,
    benchmarkSeconds,
    otherSeconds,
    otherShare: otherSeconds / (cores * wallSeconds),
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const started = Date.now();
  const machine = machineInfo();
  const versions = {
    'node-datachannel': packageVersion('node-datachannel'),
    'mediasoup-client': packageVersion('mediasoup-client'),
    '@roamhq/wrtc': packageVersion('@roamhq/wrtc'),
    'msc-node': packageVersion('msc-node'),
    werift: packageVersion('werift'),
  };
  log(`mediasoup-data-producer benchmark${config.quick ? ' (BENCH_QUICK smoke run)' : ''}`);
  log(`machine: ${describeMachine(machine)}; load average ${machine.loadAverage.join(' ')}`);
  log(
    `clients: ${config.clients.join(', ')}; sizes: ${config.sizes.map(formatBytes).join(', ')}; ` +
      `${config.rounds} round(s) x ${config.seconds} s; pacing: send while bufferedAmount < ` +
      `${formatBytes(config.highWater)}, then wait for bufferedamountlow (threshold ${formatBytes(config.lowWater)}, ` +
      `poll ${config.pollMs} ms); scale N: ${config.scale.join(', ') || 'none'}; ` +
      `sections: ${config.sections.join(', ')}; receive sizes: ${config.recvSizes.map(formatBytes).join(', ')}`,
  );

  const failures: Failure[] = [];
  const states: ClientState[] = [];
  const loaded = new Set<string>();
  let router: RouterProxy | undefined;
  let throughput: ThroughputResult[] = [];
  let receive: ReceiveResult[] = [];
  let latency: LatencyResult[] = [];
  let scale: ScaleResult[] = [];
  let fatal: string | undefined;
  const busy0 = systemBusySeconds();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let interference: Interference | undefined;
  try {
    router = await RouterProxy.start();
    log(
      `router: mediasoup ${router.info.mediasoupVersion}, worker pid ${router.info.workerPid}, host pid ${router.info.hostPid}`,
    );
    for (const name of config.clients) {
      try {
        states.push(new ClientState(await loadClient(name)));
        loaded.add(name);
      } catch (error) {
        const message = `could not load the adapter: ${errorMessage(error)}`;
        log(`client ${name}: ${message}`);
        failures.push({ client: name, phase: 'load', error: message });
      }
    }
    const sections = new Set(config.sections);
    if (sections.has('send')) throughput = await runThroughput(states, router, config, failures);
    if (sections.has('receive')) receive = await runReceive(states, router, config, failures);
    if (sections.has('latency')) latency = await runLatency(states, router, config, failures);
    if (sections.has('scale')) scale = await runScale(states, router, config, failures);
    interference = await measureInterference(router, scale, { busy0, cpu0, wall0 }, machine.cores);
  } catch (error) {
    fatal = errorMessage(error);
    log(`\nFATAL: ${fatal}`);
    failures.push({ client: '-', phase: 'run', error: fatal });
  } finally {
    await shutdown(states, router, loaded);
  }

  const clientNames = states.map((s) => s.client.name);
  const summaries = summarize(throughput, clientNames, config.sizes);
  const receiveSummaries = summarizeReceive(receive, clientNames, config.recvSizes);
  const latencySummaries = summarizeLatency(latency, clientNames);
  const lines = renderMarkdown({
    receive: receiveSummaries,
    latency: latencySummaries,
    config,
    machine,
    versions,
    routerVersion: router?.info.mediasoupVersion ?? '?',
    states,
    summaries,
    scale,
    failures,
    interference,
  });
  const durationS = (Date.now() - started) / 1000;
  lines.push(`Total run time: ${durationS.toFixed(0)} s.`);
  const markdown = lines.join('\n');
  log(`\n${markdown}`);

  const dir = resolve(config.resultsDir);
  mkdirSync(dir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const jsonFile = join(dir, `bench-${stamp}.json`);
  writeFileSync(
    jsonFile,
    JSON.stringify(
      {
        machine,
        versions,
        router: router?.info,
        config,
        durationS,
        interference,
        fatal,
        failures,
        summaries,
        throughput,
        receiveSummaries,
        receive,
        latencySummaries,
        latency,
        scale,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, `bench-${stamp}.md`), `${markdown}\n`);
  log(`\nresults: ${jsonFile}`);
  if (summaries.length > 0) {
    try {
      const svg = await throughputSvg(summaries, describeMachine(machine));
      const svgFile = join(dir, 'throughput.svg');
      writeFileSync(svgFile, svg);
      log(`chart: ${svgFile}`);
    } catch (error) {
      log(`chart: not rendered: ${errorMessage(error)}`);
    }
  }
  if (receiveSummaries.length > 0) {
    try {
      const svg = await throughputSvg(
        receiveSummaries,
        describeMachine(machine),
        'DataConsumer throughput from a mediasoup router',
      );
      const svgFile = join(dir, 'receive.svg');
      writeFileSync(svgFile, svg);
      log(`chart: ${svgFile}`);
    } catch (error) {
      log(`chart: not rendered: ${errorMessage(error)}`);
    }
  }
  if (fatal !== undefined) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(() => {
    // Everything is closed; if a native library still holds the event loop, say what and leave.
    setTimeout(() => {
      process.stderr.write(
        `the process did not exit on its own; still open: ${process.getActiveResourcesInfo().join(', ')}; exiting\n`,
      );
      process.exit(process.exitCode ?? 0);
    }, 10000).unref();
  });

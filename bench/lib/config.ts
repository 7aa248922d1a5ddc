import { join } from 'node:path';

import { HEADER_SIZE } from 'mediasoup-data-bots';

import { errorMessage } from './util.js';

import { chromiumReady } from '../clients/chromium.js';

export const ALL_CLIENTS = ['ours', 'raw', 'mediasoup-client', 'msc-node'] as const;
/** Clients of the scale section only: a browser page per transport is no throughput peer. */
export const SCALE_ONLY_CLIENTS = ['chromium'] as const;
export type ClientName = (typeof ALL_CLIENTS)[number] | (typeof SCALE_ONLY_CLIENTS)[number];

export interface BenchConfig {
  quick: boolean;
  clients: ClientName[];
  /** Message sizes in bytes. */
  sizes: number[];
  rounds: number;
  /** Sending time of one measurement. */
  seconds: number;
  /** Untimed sending per client before the first round (JIT, caches). */
  warmupSeconds: number;
  /** Pacing: send while bufferedAmount < high; then wait until it is <= low. */
  highWater: number;
  lowWater: number;
  /** Safety-net poll of bufferedAmount while waiting for `bufferedamountlow`. */
  pollMs: number;
  /** Yield to the event loop after this many bytes (or 256 messages) of one burst. */
  burstBytes: number;
  /** A wait for bufferedamountlow that makes no progress for this long is a stall. */
  stallMs: number;
  /** Bounded wait for the router to receive everything after sending stops ... */
  drainTimeoutMs: number;
  /** ... failing early if nothing arrives for this long. */
  drainStallMs: number;
  openTimeoutMs: number;
  closeTimeoutMs: number;
  /** Scale: N transports opened at once. */
  scale: number[];
  scaleClients: ClientName[];
  /** Scale runs of the WebRTC-stack peers (mediasoup-client, msc-node) only up to this N. */
  scalePeerMaxN: number;
  scaleOpenTimeoutMs: number;
  /** Scale: N above this open at scaleRampPerSecond instead of all at once. */
  scaleAtOnceMaxN: number;
  scaleRampPerSecond: number;
  /** Scale: seconds of each steady window (idle, then 1 msg/s per transport); 0: none. */
  scaleSteadySeconds: number;
  /** Which parts run: 'send' (throughput into the router), 'receive', 'latency', 'scale'. */
  sections: Section[];
  /** Receive: message sizes; the router's pacing (bytes and messages in its SCTP send buffer). */
  recvSizes: number[];
  recvHighWater: number;
  recvMaxChunks: number;
  /** The router's SCTP send buffer toward each receiving client (bytes); 0: mediasoup's default. */
  recvSendBuffer: number;
  /** Latency: message size, messages per second, sending time. */
  latencySize: number;
  latencyRate: number;
  latencySeconds: number;
  resultsDir: string;
}

export const ALL_SECTIONS = ['send', 'receive', 'latency', 'scale'] as const;
export type Section = (typeof ALL_SECTIONS)[number];

function sectionList(): Section[] {
  const names = envList('BENCH_SECTIONS', ALL_SECTIONS.join(','));
  for (const n of names) {
    if (!(ALL_SECTIONS as readonly string[]).includes(n)) {
      throw new Error(`BENCH_SECTIONS: unknown section "${n}" (known: ${ALL_SECTIONS.join(', ')})`);
    }
  }
  return names as Section[];
}

function envString(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function envNumber(name: string, fallback: number): number {
  const raw = envString(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a number >= 0`);
  return value;
}

function envList(name: string, fallback: string): string[] {
  return (envString(name) ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function clientList(
  name: string,
  fallback: readonly ClientName[],
  known: readonly ClientName[] = ALL_CLIENTS,
): ClientName[] {
  const names = envList(name, fallback.join(','));
  for (const n of names) {
    if (!(known as readonly string[]).includes(n)) {
      throw new Error(`${name}: unknown client "${n}" (known: ${known.join(', ')})`);
    }
  }
  return names as ClientName[];
}

/** The scale section's default clients: Chromium too once bench/chromium/setup.sh ran. */
function defaultScaleClients(): ClientName[] {
  return chromiumReady() ? [...ALL_CLIENTS, ...SCALE_ONLY_CLIENTS] : [...ALL_CLIENTS];
}

/** Parses "100,1KiB,16k,64KiB" style sizes. */
function parseSize(text: string): number {
  const match = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text);
  if (!match?.[1]) throw new Error(`bad message size "${text}"`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const n = Number(match[1]);
  if (unit === 'b') return n;
  return unit.startsWith('k') ? n * 1024 : n * 1024 * 1024;
}

/** BENCH_SCALE: "100,1000,10000"; set but empty, "0" or "none": no scale test. */
function scaleList(quick: boolean): number[] {
  const raw = process.env.BENCH_SCALE;
  if (raw !== undefined && /^\s*(none)?\s*$/i.test(raw)) return [];
  return envList('BENCH_SCALE', quick ? '20' : '100,1000,10000')
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new Error(`BENCH_SCALE: bad N "${s}"`);
      return n;
    })
    .filter((n) => n > 0);
}

export function loadConfig(): BenchConfig {
  try {
    const quick = envString('BENCH_QUICK') === '1';
    const config: BenchConfig = {
      quick,
      clients: clientList('BENCH_CLIENTS', ALL_CLIENTS),
      sizes: envList('BENCH_SIZES', '100,1KiB,16KiB,64KiB').map(parseSize),
      rounds: Math.max(1, Math.round(envNumber('BENCH_ROUNDS', quick ? 1 : 3))),
      seconds: envNumber('BENCH_SECONDS', quick ? 1 : 4),
      warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', quick ? 0.3 : 1),
      highWater: envNumber('BENCH_HIGH', 1024 * 1024),
      lowWater: envNumber('BENCH_LOW', 256 * 1024),
      pollMs: envNumber('BENCH_POLL_MS', 2),
      burstBytes: envNumber('BENCH_BURST_BYTES', 256 * 1024),
      stallMs: envNumber('BENCH_STALL_MS', 10000),
      drainTimeoutMs: envNumber('BENCH_DRAIN_TIMEOUT_MS', 60000),
      drainStallMs: envNumber('BENCH_DRAIN_STALL_MS', 5000),
      openTimeoutMs: envNumber('BENCH_OPEN_TIMEOUT_MS', 15000),
      closeTimeoutMs: envNumber('BENCH_CLOSE_TIMEOUT_MS', 5000),
      scale: scaleList(quick),
      scaleClients: clientList('BENCH_SCALE_CLIENTS', defaultScaleClients(), [
        ...ALL_CLIENTS,
        ...SCALE_ONLY_CLIENTS,
      ]),
      scalePeerMaxN: envNumber('BENCH_SCALE_PEER_MAX', 100),
      scaleOpenTimeoutMs: envNumber('BENCH_SCALE_OPEN_TIMEOUT_MS', 90000),
      scaleAtOnceMaxN: envNumber('BENCH_SCALE_AT_ONCE_MAX', 1000),
      scaleRampPerSecond: envNumber('BENCH_SCALE_RAMP', 200),
      scaleSteadySeconds: envNumber('BENCH_SCALE_STEADY_SECONDS', quick ? 2 : 10),
      sections: sectionList(),
      recvSizes: envList('BENCH_RECV_SIZES', '100,1KiB,16KiB').map(parseSize),
      // Below mediasoup's 256 KiB SCTP send buffer by more than one 16 KiB message.
      recvHighWater: envNumber('BENCH_RECV_HIGH', 192 * 1024),
      // Below usrsctp's 512 chunks on queue (one chunk per message up to ~1.1 KiB).
      recvMaxChunks: envNumber('BENCH_RECV_MAX_CHUNKS', 384),
      recvSendBuffer: envNumber('BENCH_RECV_SEND_BUFFER', 0),
      latencySize: parseSize(envString('BENCH_LATENCY_SIZE') ?? '1KiB'),
      latencyRate: envNumber('BENCH_LATENCY_RATE', 1000),
      latencySeconds: envNumber('BENCH_LATENCY_SECONDS', quick ? 1 : 3),
      resultsDir: envString('BENCH_RESULTS_DIR') ?? join(__dirname, '..', 'results'),
    };
    if (config.lowWater >= config.highWater) throw new Error('BENCH_LOW must be below BENCH_HIGH');
    for (const size of [...config.sizes, ...config.recvSizes, config.latencySize]) {
      if (size < HEADER_SIZE) {
        throw new Error(
          `message size ${size} is below ${HEADER_SIZE} bytes (8-byte sequence + 8-byte send time)`,
        );
      }
    }
    return config;
  } catch (error) {
    throw new Error(`bad benchmark configuration: ${errorMessage(error)}`);
  }
}

// Option parsing and checks: every bad value is a clear error before anything connects.

import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_SCTP_SETTINGS,
  HEADER_SIZE,
  SCTP_SETTINGS_MODES,
  type SctpSettingsMode,
} from 'mediasoup-data-bots';

import type { LoadConfig, MessageSizeProblem } from './engine/index.js';
import { UsageError } from './errors.js';
import { BOTS_PER_SHARD } from './shardPlan.js';

/** The local router's SCTP receive limit (mediasoup's default maxSctpMessageSize). */
export const LOCAL_MAX_MESSAGE_SIZE = 262144;
export const MAX_MESSAGE_SIZE = 1024 * 1024;
/** As many streams as the device asks the router for (device.sctpCapabilities). */
export const MAX_PRODUCERS = 1024;
export const MAX_TRANSPORTS = 10000;

export interface RawLoadOptions {
  transports: number;
  producers: number;
  size: number;
  rate: number;
  duration: number;
  rampUp: number;
  unordered?: boolean;
  label?: string;
  protocol?: string;
  appData?: string;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
  highWaterMark: number;
  /** The process's SCTP settings (useSctpSettings()); default DEFAULT_SCTP_SETTINGS. */
  sctpSettings?: SctpSettingsMode;
  connectTimeout: number;
  drainTimeout: number;
  reportDir?: string;
  report: boolean;
  json?: string;
  progress: boolean;
  signaling?: string;
  signalingUrl?: string;
  /** mediasoup workers of the local router (demo, capacity, --signaling local). */
  workers?: number;
  consumers?: number;
  roomSize?: number;
  /** demo, load: child processes to run the bots in, or bots in each (shardPlan.ts). */
  shards?: number;
  botsPerShard?: number;
  /** capacity */
  stepFactor?: number;
  maxSteps?: number;
  maxP99?: number;
}

/** Defaults that differ between commands. */
export interface LoadDefaults {
  /** Messages per second per producer (0: unlimited). */
  rate: number;
  /** Rooms of this many bots unless --consumers or --room-size is given (0: no rooms). */
  roomSize: number;
  /** Seconds (default 10). */
  duration?: number;
  /** Seconds (default 10). */
  drainTimeout?: number;
}

/** `load`: as fast as backpressure allows, no consumers. */
export const LOAD_DEFAULTS: LoadDefaults = { rate: 0, roomSize: 0 };
/**
 * `demo`: a healthy chat room, well below saturation: 20 bots in rooms of 4, each consuming
 * the other 3, at 20 msg/s per producer (400 msg/s sent, 1,200 delivered; p99 in
 * milliseconds on a 2-core machine, see docs/cli.md).
 */
export const DEMO_DEFAULTS: LoadDefaults = { rate: 20, roomSize: 4 };
/** `capacity`: --rate is the first step's; each step lasts 5 s and drains for at most 3 s. */
export const CAPACITY_DEFAULTS: LoadDefaults = {
  rate: 50,
  roomSize: 0,
  duration: 5,
  drainTimeout: 3,
};

export function parseInteger(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export function parseSeconds(min: number, { inclusive }: { inclusive: boolean }) {
  return (value: string): number => {
    const n = Number(value.trim().replace(/s$/, ''));
    if (value.trim() === '' || !Number.isFinite(n) || (inclusive ? n < min : n <= min)) {
      throw new InvalidArgumentError(
        `expected a number of seconds ${inclusive ? '>=' : '>'} ${min} (decimals allowed).`,
      );
    }
    if (n > 24 * 3600) throw new InvalidArgumentError('expected at most 86400 seconds.');
    return n;
  };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 * 1024,
  mb: 1000 * 1000,
  mib: 1024 * 1024,
};

/** Bytes: 1024, 1k, 1KiB (1024), 1kB (1000), 1M, 1MiB, 1MB. */
export function parseBytes(min: number, max: number) {
  return (value: string): number => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
    const n = match && unit !== undefined ? Number(match[1]) * unit : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected a whole number of bytes from ${min} to ${max} (units: k/KiB = 1024, kB = 1000, M/MiB, MB).`,
      );
    }
    return n;
  };
}

/** Messages per second per producer: a positive number, or 0 / "unlimited". */
export function parseRate(value: string): number {
  const v = value.trim().toLowerCase();
  if (v === 'unlimited' || v === 'max') return 0;
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < 0 || n > 1e6) {
    throw new InvalidArgumentError('expected messages per second (0 to 1000000) or "unlimited".');
  }
  return n;
}

/** The options that `demo`, `load` and `capacity` share. */
export function addLoadOptions(command: Command, defaults: LoadDefaults = LOAD_DEFAULTS): Command {
  return command
    .option('-t, --transports <n>', 'send transports to open', parseInteger(1, MAX_TRANSPORTS), 20)
    .option('-p, --producers <n>', 'DataProducers per transport', parseInteger(1, MAX_PRODUCERS), 1)
    .option(
      '-w, --workers <n>',
      'mediasoup workers of the local router (each a single-threaded process)',
      parseInteger(1, 64),
      1,
    )
    .option(
      '-s, --size <bytes>',
      `message size in bytes (${HEADER_SIZE} or more; 1k = 1KiB = 1024)`,
      parseBytes(HEADER_SIZE, MAX_MESSAGE_SIZE),
      1024,
    )
    .addOption(
      new Option(
        '-r, --rate <n>',
        'messages per second per producer, or "unlimited" (as fast as backpressure allows)',
      )
        .argParser(parseRate)
        .default(defaults.rate, defaults.rate > 0 ? String(defaults.rate) : 'unlimited'),
    )
    .option(
      '-d, --duration <seconds>',
      'how long the run lasts, connecting included',
      parseSeconds(0, { inclusive: false }),
      defaults.duration ?? 10,
    )
    .option(
      '--ramp-up <seconds>',
      'open the transports evenly over this time instead of all at once (less than --duration)',
      parseSeconds(0, { inclusive: true }),
      0,
    )
    .addOption(
      new Option(
        '--consumers <n>',
        "each producer's messages are consumed by n other bots (transports), each on one recv transport",
      )
        .argParser(parseInteger(0, MAX_TRANSPORTS - 1))
        .conflicts('roomSize'),
    )
    .addOption(
      new Option(
        '--room-size <k>',
        `rooms of k bots, each consuming every other bot of its room (0: no rooms)${defaults.roomSize > 0 ? ` (default: ${defaults.roomSize} unless --consumers)` : ''}`,
      )
        .argParser(parseInteger(0, MAX_TRANSPORTS))
        .conflicts('consumers'),
    )
    .option('--unordered', 'unordered delivery (ordered by default)')
    .option(
      '--label <label>',
      "the producers' label, for an app that routes on it (default: mdp-<bot>-<producer>)",
    )
    .option(
      '--protocol <protocol>',
      "the producers' subprotocol (default: mediasoup-data-producer-load)",
    )
    .option(
      '--app-data <json>',
      "a JSON object merged into the producers' appData (besides mdpRunId, botId, transport, producer)",
    )
    .addOption(
      new Option(
        '--max-retransmits <n>',
        'partial reliability: retransmit a message at most n times (implies --unordered)',
      )
        .argParser(parseInteger(0, 65535))
        .conflicts('maxPacketLifeTime'),
    )
    .addOption(
      new Option(
        '--max-packet-life-time <ms>',
        'partial reliability: retransmit a message for at most this long (implies --unordered)',
      )
        .argParser(parseInteger(0, 65535))
        .conflicts('maxRetransmits'),
    )
    .addOption(
      new Option(
        '--high-water-mark <bytes>',
        'a producer sends while its bufferedAmount is below this, then waits for bufferedamountlow (at half of it)',
      )
        .argParser(parseBytes(1, 64 * 1024 * 1024))
        .default(256 * 1024, '256KiB'),
    )
    .addOption(
      new Option(
        '--sctp-settings <mode>',
        "router-friendly: at most 64 DATA chunks in flight per transport, so that mediasoup < 3.20 does not drop what its 512-chunk queue toward a consumer cannot hold (slower for messages under 1 KiB); libdatachannel: libdatachannel's defaults",
      )
        .choices(SCTP_SETTINGS_MODES)
        .default(DEFAULT_SCTP_SETTINGS),
    )
    .option(
      '--connect-timeout <seconds>',
      'time a transport may take to open all its producers',
      parseSeconds(0, { inclusive: false }),
      15,
    )
    .option(
      '--drain-timeout <seconds>',
      'time the end may wait for buffers to empty and messages to arrive',
      parseSeconds(0, { inclusive: true }),
      defaults.drainTimeout ?? 10,
    )
    .option(
      '--report-dir <dir>',
      'where to write report.json and chart.svg (default reports/<time>/)',
    )
    .option('--no-report', 'write no report folder')
    .option('--json <path>', 'also write the report JSON to this path')
    .option('--no-progress', 'no live progress display');
}

/** --shards and --bots-per-shard (demo and load). */
export function addShardOptions(command: Command): Command {
  return command
    .option(
      '--shards <n>',
      'run the bots in n child processes (default: from the cores and --transports, at most --bots-per-shard each; 1: in this process)',
      parseInteger(1, 256),
    )
    .option(
      '--bots-per-shard <n>',
      `at most n bots (transports) per child process (default ${BOTS_PER_SHARD}: libjuice's poll thread grows with the square of a process's bots)`,
      parseInteger(1, MAX_TRANSPORTS),
    );
}

/** Positive decimal numbers (above min). */
export function parsePositive(min: number) {
  return (value: string): number => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n) || n <= min) {
      throw new InvalidArgumentError(`expected a number above ${min}.`);
    }
    return n;
  };
}

/** The options of `capacity` besides the load options. */
export function addCapacityOptions(command: Command): Command {
  return command
    .option(
      '--step-factor <x>',
      'each step offers this many times the rate of the one before',
      parsePositive(1),
      2,
    )
    .option('--max-steps <n>', 'at most this many steps', parseInteger(1, 50), 8)
    .option(
      '--max-p99 <ms>',
      'a step whose p99 latency (at the consumers if any) is above this fails',
      parsePositive(0),
      200,
    );
}

/** Checks that span several options and builds the engine's config. Throws UsageError. */
export function toLoadConfig(
  raw: RawLoadOptions,
  { local, defaults = LOAD_DEFAULTS }: { local: boolean; defaults?: LoadDefaults },
): LoadConfig {
  const consumers = raw.consumers ?? 0;
  const roomSize = raw.roomSize ?? (consumers > 0 ? 0 : defaults.roomSize);
  if (consumers > 0 && consumers >= raw.transports) {
    throw new UsageError(
      `--consumers ${consumers} needs more transports than that (--transports ${raw.transports}): a bot does not consume itself`,
    );
  }
  if (roomSize === 1) {
    throw new UsageError('--room-size 1: a room needs at least 2 bots to consume each other');
  }
  if (raw.rampUp > 0 && raw.rampUp >= raw.duration) {
    throw new UsageError(
      `--ramp-up (${raw.rampUp} s) must be less than --duration (${raw.duration} s)`,
    );
  }
  if (!local && (raw.workers ?? 1) !== 1) {
    throw new UsageError(
      `--workers ${raw.workers} applies to the local router only: your app runs its own workers`,
    );
  }
  if (local && raw.size > LOCAL_MAX_MESSAGE_SIZE) {
    throw new UsageError(
      `--size ${raw.size} is larger than the local router accepts (${LOCAL_MAX_MESSAGE_SIZE} bytes)`,
    );
  }
  return {
    ...producerOptions(raw),
    transports: raw.transports,
    producers: raw.producers,
    size: raw.size,
    rate: raw.rate,
    durationMs: Math.round(raw.duration * 1000),
    rampUpMs: Math.round(raw.rampUp * 1000),
    ordered: raw.unordered ? false : undefined,
    maxRetransmits: raw.maxRetransmits,
    maxPacketLifeTime: raw.maxPacketLifeTime,
    highWaterMark: raw.highWaterMark,
    connectTimeoutMs: Math.round(raw.connectTimeout * 1000),
    drainTimeoutMs: Math.round(raw.drainTimeout * 1000),
    consumers,
    roomSize,
  };
}

/** --label, --protocol and --app-data, checked. */
function producerOptions(raw: RawLoadOptions): Pick<LoadConfig, 'label' | 'protocol' | 'appData'> {
  let appData: Record<string, unknown> | undefined;
  if (raw.appData !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.appData);
    } catch (error) {
      throw new UsageError(
        `--app-data: expected a JSON object, got ${raw.appData} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`--app-data: expected a JSON object, got ${raw.appData}`);
    }
    if ('mdpRunId' in parsed) {
      throw new UsageError('--app-data: mdpRunId is the run id the CLI sets itself');
    }
    appData = parsed as Record<string, unknown>;
  }
  return {
    ...(raw.label !== undefined && { label: raw.label }),
    ...(raw.protocol !== undefined && { protocol: raw.protocol }),
    ...(appData && { appData }),
  };
}

/** The engine's MessageTooLarge problem, worded with the option that set the size. */
export function describeMessageTooLarge({ size, limit }: MessageSizeProblem): string {
  return `--size ${size} is larger than the router accepts (at most ${limit} bytes per message)`;
}

// The engine's configuration (`config.engines.mediasoup-data`) and the steps of a scenario's
// `flow`, checked before any bot starts: a bad value throws a ConfigError that names the
// field, e.g. `flow[2].send.rate: expected a number > 0, got "fast"`.

import {
  DEFAULT_SCTP_SETTINGS,
  SCTP_SETTINGS_MODES,
  type SctpSettingsMode,
} from 'mediasoup-data-bots';

/** The engine's name in a scenario: `engine: mediasoup-data`, `config.engines.mediasoup-data`. */
export const ENGINE_NAME = 'mediasoup-data';

/** A bad engine configuration or step. The message starts with the field's path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `config.engines.mediasoup-data`, with defaults applied. */
export interface EngineConfig {
  /** `websocket` (the CLI's JSON-over-WebSocket adapter) or a module path. */
  signaling: string;
  /** Given to the adapter (context.url); templated per bot. Default: $MDP_SIGNALING_URL. */
  signalingUrl: string | undefined;
  /** From a connect step's createWebRtcTransport request to a DataProducer's open. */
  connectTimeoutMs: number;
  /** The websocket adapter's request timeout. */
  requestTimeoutMs: number;
  /** A send step waits for `bufferedamountlow` above this many buffered bytes. */
  highWaterMark: number;
  /** The bot's room: a template rendered per bot (appData.room, listDataProducers). */
  room: string | undefined;
  /** Bots of a worker thread fill rooms of this many in arrival order. */
  roomSize: number | undefined;
  /** The worker thread's SCTP settings (the bots package's useSctpSettings()). */
  sctpSettings: SctpSettingsMode;
}

export interface ConnectStep {
  kind: 'connect';
  timeoutMs: number | undefined;
}

export interface ProduceDataStep {
  kind: 'produceData';
  label: string;
  protocol: string;
  ordered: boolean | undefined;
  maxRetransmits: number | undefined;
  maxPacketLifeTime: number | undefined;
}

export interface SendStep {
  kind: 'send';
  /** Which producer (its label); default the bot's latest. */
  label: string | undefined;
  /** Send this many messages, or for this long (exactly one of them). */
  count: number | undefined;
  durationMs: number | undefined;
  /** Messages per second; undefined: as fast as the buffer allows. */
  rate: number | undefined;
  /** Size of a message without payload (the CLI's numbered, timestamped format). */
  size: number;
  /** A template rendered per message ({{ $botId }}, {{ $seq }}, scenario variables). */
  payload: string | undefined;
  /** Send binary (PPID 53) or text (PPID 51). */
  binary: boolean;
}

export interface ConsumeDataStep {
  kind: 'consumeData';
  /** Completes once the bot consumes this many producers of others; undefined: roomSize - 1, or 0. */
  count: number | undefined;
  /** How long to wait for them; undefined: connectTimeout. */
  timeoutMs: number | undefined;
  /** Keep consuming producers that join the room later, until the bot closes. */
  watch: boolean;
  /** How often to ask listDataProducers while waiting and watching. */
  pollIntervalMs: number;
}

export interface WaitForMessagesStep {
  kind: 'waitForMessages';
  /** Until every consumer of the bot has received this many messages; undefined: until idle. */
  count: number | undefined;
  /** Without count: until no message arrived for this long. */
  idleMs: number;
  /** At most this long (with count, then errors.mediasoup_data.receive_timeout). */
  timeoutMs: number;
}

export interface CloseStep {
  kind: 'close';
}

export interface ThinkStep {
  kind: 'think';
  /** The step as written: Artillery's createThink() reads `think` and `jitter`. */
  spec: { think: number | string; jitter?: number | string };
}

export interface LoopStep {
  kind: 'loop';
  steps: Step[];
  /** A number, a range ("1-5") or a template; undefined with `over` or `whileTrue`. */
  count: number | string | undefined;
  over: unknown[] | string | undefined;
  whileTrue: string | undefined;
  loopValue: string | undefined;
}

export interface FunctionStep {
  kind: 'function';
  name: string;
}

export interface LogStep {
  kind: 'log';
  message: string;
}

export type Step =
  | ConnectStep
  | ProduceDataStep
  | SendStep
  | ConsumeDataStep
  | WaitForMessagesStep
  | CloseStep
  | ThinkStep
  | LoopStep
  | FunctionStep
  | LogStep;

export const STEP_NAMES = [
  'connect',
  'produceData',
  'send',
  'consumeData',
  'waitForMessages',
  'close',
  'think',
  'loop',
  'function',
  'log',
] as const;

export const DEFAULTS = {
  connectTimeoutMs: 15_000,
  requestTimeoutMs: 15_000,
  highWaterMark: 256 * 1024,
  size: 1024,
  label: 'bot',
  protocol: '',
  pollIntervalMs: 500,
  idleMs: 1000,
  waitTimeoutMs: 30_000,
} as const;

/** Bytes at the start of a message without payload: sequence number and send time. */
export const MESSAGE_HEADER_SIZE = 16;
const MAX_MESSAGE_SIZE = 1024 * 1024;
const MAX_RATE = 1_000_000;

type Fields = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value);
  } catch {
    return 'a value that cannot be shown';
  }
}

function fail(path: string, message: string): never {
  throw new ConfigError(`${path}: ${message}`);
}

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object of options (an absent or null value or `true` reads as `{}`). */
function options(value: unknown, path: string, known: readonly string[]): Fields {
  if (value === undefined || value === null || value === true) return {};
  if (!isRecord(value)) fail(path, `expected an object of options, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      fail(`${path}.${key}`, `unknown option (known: ${known.join(', ')})`);
    }
  }
  return value;
}

/** A number (or a numeric string, as YAML may give) within [min, max]. */
function number(
  value: unknown,
  path: string,
  {
    min,
    max,
    integer = false,
    above = false,
  }: { min: number; max: number; integer?: boolean; above?: boolean },
): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  const what = `${integer ? 'an integer' : 'a number'} ${above ? `> ${min}` : `from ${min}`} ${above ? `and <= ${max}` : `to ${max}`}`;
  if (typeof n !== 'number' || !Number.isFinite(n))
    fail(path, `expected ${what}, got ${describe(value)}`);
  if ((integer && !Number.isInteger(n)) || (above ? n <= min : n < min) || n > max) {
    fail(path, `expected ${what}, got ${describe(value)}`);
  }
  return n;
}

function optionalNumber(
  value: unknown,
  path: string,
  range: { min: number; max: number; integer?: boolean; above?: boolean },
): number | undefined {
  return value === undefined ? undefined : number(value, path, range);
}

function string(value: unknown, path: string, { nonEmpty = false } = {}): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  if (nonEmpty && value.trim() === '') fail(path, 'expected a non-empty string');
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : string(value, path);
}

function sctpSettingsMode(value: unknown, path: string): SctpSettingsMode {
  if (value === undefined) return DEFAULT_SCTP_SETTINGS;
  if (!(SCTP_SETTINGS_MODES as readonly unknown[]).includes(value)) {
    fail(path, `expected ${SCTP_SETTINGS_MODES.join(' or ')}, got ${describe(value)}`);
  }
  return value as SctpSettingsMode;
}

function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(path, `expected true or false, got ${describe(value)}`);
  return value;
}

const ENGINE_OPTIONS = [
  'signaling',
  'signalingUrl',
  'connectTimeout',
  'requestTimeout',
  'highWaterMark',
  'room',
  'roomSize',
  'sctpSettings',
] as const;

/**
 * Reads `config.engines.mediasoup-data`. `env` supplies MDP_SIGNALING_URL when no
 * signalingUrl is given.
 */
export function parseEngineConfig(
  config: unknown,
  env: NodeJS.ProcessEnv = process.env,
): EngineConfig {
  const path = `config.engines.${ENGINE_NAME}`;
  if (config === undefined || config === null) {
    fail(path, 'missing: give at least `signaling: websocket` (and signalingUrl) or a module path');
  }
  const o = options(config, path, ENGINE_OPTIONS);
  const signaling = string(o.signaling, `${path}.signaling`, { nonEmpty: true });
  const signalingUrl =
    optionalString(o.signalingUrl, `${path}.signalingUrl`) ?? env.MDP_SIGNALING_URL;
  if (signaling === 'websocket') {
    if (signalingUrl === undefined || signalingUrl === '') {
      fail(
        `${path}.signalingUrl`,
        'the websocket adapter needs a ws:// or wss:// URL (or set MDP_SIGNALING_URL)',
      );
    }
    // A URL with templates is checked per bot, once rendered.
    if (!signalingUrl.includes('{{') && !/^wss?:\/\/[^/]/.test(signalingUrl)) {
      fail(`${path}.signalingUrl`, `expected a ws:// or wss:// URL, got ${describe(signalingUrl)}`);
    }
  } else if (signaling === 'local') {
    fail(
      `${path}.signaling`,
      '"local" (an in-process router) is the CLI\'s; run `mediasoup-data-producer local-router` and use `signaling: websocket` with its URL',
    );
  }
  const seconds = (value: unknown, field: string, fallbackMs: number): number =>
    value === undefined
      ? fallbackMs
      : number(value, `${path}.${field}`, { min: 0, max: 3600, above: true }) * 1000;
  return {
    signaling,
    signalingUrl: signalingUrl === '' ? undefined : signalingUrl,
    connectTimeoutMs: seconds(o.connectTimeout, 'connectTimeout', DEFAULTS.connectTimeoutMs),
    requestTimeoutMs: seconds(o.requestTimeout, 'requestTimeout', DEFAULTS.requestTimeoutMs),
    highWaterMark:
      optionalNumber(o.highWaterMark, `${path}.highWaterMark`, {
        min: 1,
        max: 64 * 1024 * 1024,
        integer: true,
      }) ?? DEFAULTS.highWaterMark,
    room: o.room === undefined ? undefined : string(o.room, `${path}.room`, { nonEmpty: true }),
    roomSize: optionalNumber(o.roomSize, `${path}.roomSize`, {
      min: 1,
      max: 10_000,
      integer: true,
    }),
    sctpSettings: sctpSettingsMode(o.sctpSettings, `${path}.sctpSettings`),
  };
}

function parseConnect(value: unknown, path: string): ConnectStep {
  const o = options(value, path, ['timeout']);
  const timeout = optionalNumber(o.timeout, `${path}.timeout`, { min: 0, max: 3600, above: true });
  return { kind: 'connect', timeoutMs: timeout === undefined ? undefined : timeout * 1000 };
}

function parseProduceData(value: unknown, path: string): ProduceDataStep {
  const o = options(value, path, [
    'label',
    'protocol',
    'ordered',
    'maxRetransmits',
    'maxPacketLifeTime',
  ]);
  const range = { min: 0, max: 65535, integer: true };
  const maxRetransmits = optionalNumber(o.maxRetransmits, `${path}.maxRetransmits`, range);
  const maxPacketLifeTime = optionalNumber(o.maxPacketLifeTime, `${path}.maxPacketLifeTime`, range);
  if (maxRetransmits !== undefined && maxPacketLifeTime !== undefined) {
    fail(`${path}.maxPacketLifeTime`, 'give maxRetransmits or maxPacketLifeTime, not both');
  }
  return {
    kind: 'produceData',
    label: optionalString(o.label, `${path}.label`) ?? DEFAULTS.label,
    protocol: optionalString(o.protocol, `${path}.protocol`) ?? DEFAULTS.protocol,
    ordered: optionalBoolean(o.ordered, `${path}.ordered`),
    maxRetransmits,
    maxPacketLifeTime,
  };
}

function parseSend(value: unknown, path: string): SendStep {
  if (!isRecord(value)) {
    fail(path, `expected an object with count or duration, got ${describe(value)}`);
  }
  const o = options(value, path, [
    'count',
    'duration',
    'rate',
    'size',
    'payload',
    'binary',
    'label',
  ]);
  const count = optionalNumber(o.count, `${path}.count`, { min: 1, max: 1e12, integer: true });
  const duration = optionalNumber(o.duration, `${path}.duration`, {
    min: 0,
    max: 7 * 24 * 3600,
    above: true,
  });
  if (count === undefined && duration === undefined) {
    fail(path, 'give count (messages) or duration (seconds)');
  }
  if (count !== undefined && duration !== undefined) {
    fail(`${path}.duration`, 'give count or duration, not both');
  }
  const payload = optionalString(o.payload, `${path}.payload`);
  if (payload !== undefined && o.size !== undefined) {
    fail(`${path}.size`, 'give size (a numbered, timestamped message) or payload, not both');
  }
  const size =
    optionalNumber(o.size, `${path}.size`, {
      min: MESSAGE_HEADER_SIZE,
      max: MAX_MESSAGE_SIZE,
      integer: true,
    }) ?? DEFAULTS.size;
  return {
    kind: 'send',
    label: optionalString(o.label, `${path}.label`),
    count,
    durationMs: duration === undefined ? undefined : duration * 1000,
    rate: optionalNumber(o.rate, `${path}.rate`, { min: 0, max: MAX_RATE, above: true }),
    size,
    payload,
    // A payload is text unless told otherwise; a numbered message is binary.
    binary: optionalBoolean(o.binary, `${path}.binary`) ?? payload === undefined,
  };
}

function parseConsumeData(value: unknown, path: string): ConsumeDataStep {
  const o = options(value, path, ['count', 'timeout', 'watch', 'pollInterval']);
  const timeout = optionalNumber(o.timeout, `${path}.timeout`, { min: 0, max: 3600, above: true });
  const poll = optionalNumber(o.pollInterval, `${path}.pollInterval`, {
    min: 0.01,
    max: 3600,
  });
  return {
    kind: 'consumeData',
    count: optionalNumber(o.count, `${path}.count`, { min: 0, max: 10_000, integer: true }),
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    watch: optionalBoolean(o.watch, `${path}.watch`) ?? true,
    pollIntervalMs: poll === undefined ? DEFAULTS.pollIntervalMs : poll * 1000,
  };
}

function parseWaitForMessages(value: unknown, path: string): WaitForMessagesStep {
  const o = options(value, path, ['count', 'idle', 'timeout']);
  const count = optionalNumber(o.count, `${path}.count`, { min: 1, max: 1e12, integer: true });
  if (count !== undefined && o.idle !== undefined) {
    fail(`${path}.idle`, 'give count (messages per consumer) or idle (seconds), not both');
  }
  const idle = optionalNumber(o.idle, `${path}.idle`, { min: 0, max: 3600, above: true });
  const timeout = optionalNumber(o.timeout, `${path}.timeout`, { min: 0, max: 3600, above: true });
  return {
    kind: 'waitForMessages',
    count,
    idleMs: idle === undefined ? DEFAULTS.idleMs : idle * 1000,
    timeoutMs: timeout === undefined ? DEFAULTS.waitTimeoutMs : timeout * 1000,
  };
}

function parseThink(step: Fields, path: string): ThinkStep {
  const think = step.think;
  if (typeof think !== 'number' && typeof think !== 'string') {
    fail(
      `${path}.think`,
      `expected seconds (a number) or a duration such as "500ms", got ${describe(think)}`,
    );
  }
  if (typeof think === 'number' && !(think >= 0)) {
    fail(`${path}.think`, `expected seconds >= 0, got ${describe(think)}`);
  }
  const jitter = step.jitter;
  if (jitter !== undefined && typeof jitter !== 'number' && typeof jitter !== 'string') {
    fail(
      `${path}.jitter`,
      `expected a number or a percentage such as "10%", got ${describe(jitter)}`,
    );
  }
  return { kind: 'think', spec: { think, ...(jitter !== undefined && { jitter }) } };
}

function parseLoop(step: Fields, path: string): LoopStep {
  const count = step.count;
  if (count !== undefined && typeof count !== 'number' && typeof count !== 'string') {
    fail(`${path}.count`, `expected a number of rounds, got ${describe(count)}`);
  }
  if (typeof count === 'number' && !(Number.isInteger(count) && count >= 0)) {
    fail(`${path}.count`, `expected an integer >= 0, got ${describe(count)}`);
  }
  const over = step.over;
  if (over !== undefined && typeof over !== 'string' && !Array.isArray(over)) {
    fail(`${path}.over`, `expected a list or a variable name, got ${describe(over)}`);
  }
  return {
    kind: 'loop',
    steps: parseSteps(step.loop, `${path}.loop`),
    count,
    over,
    whileTrue: optionalString(step.whileTrue, `${path}.whileTrue`),
    loopValue: optionalString(step.loopValue, `${path}.loopValue`),
  };
}

const STEP_EXTRA_KEYS: Record<string, readonly string[]> = {
  think: ['jitter'],
  loop: ['count', 'over', 'whileTrue', 'loopValue'],
};

/** One step: an object with one of STEP_NAMES as its key. */
export function parseStep(value: unknown, path: string): Step {
  if (!isRecord(value))
    fail(path, `expected a step such as { send: {...} }, got ${describe(value)}`);
  const names = Object.keys(value).filter((key) => (STEP_NAMES as readonly string[]).includes(key));
  if (names.length !== 1) {
    fail(
      path,
      names.length === 0
        ? `unknown step ${describe(Object.keys(value)[0] ?? '{}')} (known: ${STEP_NAMES.join(', ')})`
        : `one step per item, got ${names.join(' and ')}`,
    );
  }
  const name = names[0] as (typeof STEP_NAMES)[number];
  const extra = STEP_EXTRA_KEYS[name] ?? [];
  for (const key of Object.keys(value)) {
    if (key !== name && !extra.includes(key)) {
      fail(`${path}.${key}`, `not an option of ${name} (put options inside ${name}: { ... })`);
    }
  }
  const at = `${path}.${name}`;
  switch (name) {
    case 'connect':
      return parseConnect(value.connect, at);
    case 'produceData':
      return parseProduceData(value.produceData, at);
    case 'send':
      return parseSend(value.send, at);
    case 'consumeData':
      return parseConsumeData(value.consumeData, at);
    case 'waitForMessages':
      return parseWaitForMessages(value.waitForMessages, at);
    case 'close':
      options(value.close, at, []);
      return { kind: 'close' };
    case 'think':
      return parseThink(value, path);
    case 'loop':
      return parseLoop(value, path);
    case 'function':
      return { kind: 'function', name: string(value.function, at, { nonEmpty: true }) };
    case 'log':
      return { kind: 'log', message: string(value.log, at) };
  }
}

/** True when the steps (loops included) have a step of this kind. */
export function hasStep(steps: readonly Step[], kind: Step['kind']): boolean {
  return steps.some(
    (step) => step.kind === kind || (step.kind === 'loop' && hasStep(step.steps, kind)),
  );
}

function parseSteps(value: unknown, path: string): Step[] {
  if (!Array.isArray(value)) fail(path, `expected a list of steps, got ${describe(value)}`);
  return value.map((step, index) => parseStep(step, `${path}[${index}]`));
}

/**
 * A scenario's flow. `scenario` names it in errors (its `name`, else its index).
 * Throws ConfigError naming the first bad field.
 */
export function parseFlow(flow: unknown, scenario = ''): Step[] {
  const prefix = scenario === '' ? 'flow' : `scenario ${scenario}: flow`;
  try {
    return parseSteps(flow, 'flow');
  } catch (error) {
    if (error instanceof ConfigError && prefix !== 'flow') {
      throw new ConfigError(`${prefix}${error.message.slice('flow'.length)}`);
    }
    throw error;
  }
}

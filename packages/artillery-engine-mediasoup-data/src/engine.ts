// The Artillery 2 engine. Artillery (@artilleryio/int-core's runner.js) loads it with
// require('artillery-engine-mediasoup-data') for `config.engines.mediasoup-data`, calls
// `new Engine(script, ee, helpers)` once per worker, then `createScenario(spec, ee)` once per
// scenario, and calls the function that returns once per virtual user:
// `scenario(initialContext, callback)`. What this relies on, all unchanged from Artillery
// 2.0.21 to the current 2.x: that call sequence; `helpers` being @artilleryio/int-commons'
// engine_util (createThink, createLoopWithCount, template); `ee.emit('started')` before a
// virtual user's work and the callback once it is done; `ee.emit('counter' | 'histogram',
// name, value)` and `ee.emit('error', kind)`; `context.vars.$uuid` and `$testId`; and
// `script.config.processor` holding the processor's functions.

import { isAbsolute, resolve, dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { load as loadYaml } from 'js-yaml';

import {
  AdapterModuleError,
  Bot,
  BotError,
  createWebSocketAdapter,
  importAdapterModule,
  instantiateAdapter,
  type SignalingAdapter,
  type SignalingAdapterFactory,
  useSctpSettings,
} from 'mediasoup-data-bots';

import {
  ConfigError,
  ENGINE_NAME,
  hasStep,
  parseEngineConfig,
  parseFlow,
  type EngineConfig,
  type Step,
} from './config.js';
import {
  artilleryMetrics,
  ERROR_NAMES,
  ERRORS,
  reasonCounter,
  type MetricsEmitter,
} from './metrics.js';

/** What Artillery gives a virtual user: its variables and template functions. */
export interface ArtilleryContext {
  vars: Record<string, unknown>;
  funcs?: Record<string, unknown>;
  [key: string]: unknown;
}

export type StepFunction = (
  context: ArtilleryContext,
  callback: (error: unknown, context: ArtilleryContext) => void,
) => void;

/** The parts of @artilleryio/int-commons' engine_util this engine uses. */
export interface ArtilleryHelpers {
  template(value: unknown, context: ArtilleryContext): unknown;
  createThink(spec: object, defaults: object): StepFunction;
  createLoopWithCount(
    count: number | string,
    steps: StepFunction[],
    options: { loopValue?: string; overValues?: unknown; whileTrue?: unknown },
  ): StepFunction;
}

export interface ArtilleryScript {
  config: {
    engines?: Record<string, unknown>;
    processor?: Record<string, unknown>;
    defaults?: { think?: object };
    [key: string]: unknown;
  };
  scenarios?: unknown[];
  _scriptPath?: string;
  [key: string]: unknown;
}

export interface ArtilleryScenario {
  name?: string;
  engine?: string;
  flow?: unknown;
  [key: string]: unknown;
}

type EventEmitterLike = MetricsEmitter;

/** `{{ $botId }}` and `{{ $seq }}` in a payload template; the bot's own vars. */
export const BOT_ID_VAR = '$botId';
export const SEQ_VAR = '$seq';
/** The bot, in context.vars, for processor functions. */
export const BOT_VAR = '$mediasoupDataBot';
/** The bot's room (`{{ $room }}`), and its index among this worker's rooms with roomSize. */
export const ROOM_VAR = '$room';
export const ROOM_INDEX_VAR = '$roomIndex';

/** Distinct failure reasons a worker prints at most (the report counts every failure). */
const MAX_TOLD = 20;

type AdapterSource =
  | { kind: 'websocket' }
  | { kind: 'module'; picked: SignalingAdapterFactory | SignalingAdapter; path: string };

/**
 * The engine's options as the scenario file writes them, templates unrendered: Artillery
 * 2.0.21 renders `config` once, at load, where `{{ $botId }}` and `{{ $room }}` have no
 * value yet. Undefined when the file cannot be read (the rendered values then stand).
 */
export function rawEngineOptions(
  scriptPath: string | undefined,
): Record<string, unknown> | undefined {
  if (scriptPath === undefined) return undefined;
  try {
    const script = loadYaml(readFileSync(scriptPath, 'utf8')) as {
      config?: { engines?: Record<string, unknown> };
    } | null;
    const options = script?.config?.engines?.[ENGINE_NAME];
    return typeof options === 'object' && options !== null
      ? (options as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The template as written when it has placeholders, else the value Artillery rendered. */
function perBotTemplate(raw: unknown, rendered: string | undefined): string | undefined {
  return typeof raw === 'string' && raw.includes('{{') ? raw : rendered;
}

export class MediasoupDataEngine {
  readonly config: EngineConfig;
  /** signalingUrl and room as written, rendered for each virtual user. */
  private readonly signalingUrlTemplate: string | undefined;
  private readonly roomTemplate: string | undefined;
  private adapterSource: Promise<AdapterSource> | undefined;
  /** Bots this engine (one per worker thread) has started: roomSize fills rooms in order. */
  private botCount = 0;
  /** Rooms this worker fills whose bots have not all consumed yet (see roomConsumed). */
  private readonly consumedRooms = new Map<
    string,
    { bots: Set<string>; waiting: (() => void)[] }
  >();
  /** Failure reasons printed so far, with how often each came. */
  private readonly told = new Map<string, number>();
  /** Tells this worker's rooms from other workers' and runners' (roomSize without room). */
  private readonly instanceId = randomUUID().slice(0, 8);

  constructor(
    private readonly script: ArtilleryScript,
    _ee: unknown,
    private readonly helpers: ArtilleryHelpers,
  ) {
    this.config = parseEngineConfig(script.config.engines?.[ENGINE_NAME]);
    const raw = rawEngineOptions(script._scriptPath);
    this.signalingUrlTemplate = perBotTemplate(raw?.signalingUrl, this.config.signalingUrl);
    this.roomTemplate = perBotTemplate(raw?.room, this.config.room);
  }

  createScenario(scenario: ArtilleryScenario, ee: EventEmitterLike): StepFunction {
    const index = this.script.scenarios?.indexOf(scenario) ?? -1;
    const name =
      typeof scenario.name === 'string'
        ? JSON.stringify(scenario.name)
        : index >= 0
          ? `#${index}`
          : '';
    const steps = parseFlow(scenario.flow, name);
    if (
      hasStep(steps, 'consumeData') &&
      this.config.room === undefined &&
      this.config.roomSize === undefined
    ) {
      throw new ConfigError(
        `scenario ${name}: a consumeData step consumes the bot's room: set config.engines.${ENGINE_NAME}.room or roomSize`,
      );
    }
    const tasks = steps.map((step) => this.compile(step, ee));
    return (initialContext, callback) => {
      ee.emit('started');
      void this.runBot(initialContext, tasks, ee).then(({ error, context }) => {
        callback(error ?? null, context);
      });
    };
  }

  /** Runs the tasks in order; the bot closes whatever happened. */
  private async runBot(
    context: ArtilleryContext,
    tasks: StepFunction[],
    ee: EventEmitterLike,
  ): Promise<{ error?: unknown; context: ArtilleryContext }> {
    const botId = typeof context.vars.$uuid === 'string' ? context.vars.$uuid : randomUUID();
    const runId = typeof context.vars.$testId === 'string' ? context.vars.$testId : botId;
    context.vars[BOT_ID_VAR] = botId;
    const room = this.assignRoom(runId, context);
    let bot: Bot;
    try {
      bot = await this.createBot(botId, runId, context, ee, room);
    } catch (error) {
      this.fail(ee, ERRORS.signaling, error);
      return { error, context };
    }
    context.vars[BOT_VAR] = bot;
    let current = context;
    try {
      for (const task of tasks) {
        current = await new Promise<ArtilleryContext>((resolvePromise, reject) => {
          task(current, (error, next) => {
            if (error)
              reject(error); // eslint-disable-line @typescript-eslint/prefer-promise-reject-errors
            else resolvePromise(next);
          });
        });
      }
      return { context: current };
    } catch (error) {
      return { error, context: current };
    } finally {
      await bot.close();
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete current.vars[BOT_VAR];
    }
  }

  private async createBot(
    botId: string,
    runId: string,
    context: ArtilleryContext,
    ee: EventEmitterLike,
    room: string | undefined,
  ): Promise<Bot> {
    this.adapterSource ??= this.loadAdapterSource();
    const source = await this.adapterSource;
    const rendered =
      this.signalingUrlTemplate === undefined
        ? undefined
        : this.helpers.template(this.signalingUrlTemplate, context);
    const url =
      typeof rendered === 'string'
        ? rendered
        : rendered === undefined
          ? undefined
          : JSON.stringify(rendered);
    const bot = (adapter: SignalingAdapter, ownsAdapter: boolean): Bot => {
      // Before the first transport: each worker thread has its own copy of node-datachannel
      // (threadBinding.ts), hence its own settings.
      useSctpSettings(this.config.sctpSettings);
      return new Bot({
        id: botId,
        runId,
        adapter,
        ownsAdapter,
        ...(room !== undefined && { room }),
        vars: context.vars,
        connectTimeoutMs: this.config.connectTimeoutMs,
        highWaterMark: this.config.highWaterMark,
        metrics: artilleryMetrics(ee),
      });
    };
    if (source.kind === 'websocket') {
      if (url === undefined || !/^wss?:\/\/[^/]/.test(url)) {
        throw new Error(
          `config.engines.${ENGINE_NAME}.signalingUrl: expected a ws:// or wss:// URL, got ${JSON.stringify(url)}`,
        );
      }
      return bot(
        createWebSocketAdapter({
          url,
          requestTimeoutMs: this.config.requestTimeoutMs,
          // A URL rendered per bot names a peer: the bot joins as one.
          perBot: /{{\s*\$(?:botId|room)\s*}}/.test(this.signalingUrlTemplate ?? ''),
        }),
        true,
      );
    }
    const adapter = await this.inYamlContext(() =>
      instantiateAdapter(source.picked, { url, env: process.env }, source.path),
    );
    // A factory makes one adapter per bot, which the bot closes; an object is shared.
    return bot(adapter, typeof source.picked === 'function');
  }

  /**
   * With rooms this worker fills (roomSize without room), a consumeData step completes once
   * every bot of the room has consumed the others: then no bot sends before the consumers
   * of its producer are open, and each consumer is expected every message. Elsewhere a
   * consumer counts from its first message.
   */
  private roomConsumed(bot: Bot, timeoutMs: number): Promise<void> {
    const size = this.config.roomSize;
    const room = bot.room;
    if (size === undefined || this.roomTemplate !== undefined || room === undefined) {
      return Promise.resolve();
    }
    let entry = this.consumedRooms.get(room);
    if (!entry) {
      entry = { bots: new Set(), waiting: [] };
      this.consumedRooms.set(room, entry);
    }
    entry.bots.add(bot.id);
    const { bots, waiting } = entry;
    if (bots.size >= size) {
      this.consumedRooms.delete(room);
      for (const release of waiting.splice(0)) release();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new BotError(
            'consumeTimeout',
            `consumeData: ${bots.size} of ${size} bots of room ${JSON.stringify(room)} had consumed the others after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * The bot's room: `room` rendered with the bot's variables, else with roomSize
   * `<run id>/<this worker>/<room index>`. Sets {{ $room }} and {{ $roomIndex }}.
   */
  private assignRoom(runId: string, context: ArtilleryContext): string | undefined {
    const { roomSize } = this.config;
    const room = this.roomTemplate;
    const index = this.botCount++;
    if (roomSize !== undefined) context.vars[ROOM_INDEX_VAR] = Math.floor(index / roomSize);
    let name: string | undefined;
    if (room !== undefined) {
      const rendered = this.helpers.template(room, context);
      name = typeof rendered === 'string' ? rendered : JSON.stringify(rendered);
    } else if (roomSize !== undefined) {
      name = `${runId}/${this.instanceId}/${Math.floor(index / roomSize)}`;
    }
    if (name !== undefined) context.vars[ROOM_VAR] = name;
    return name;
  }

  private async loadAdapterSource(): Promise<AdapterSource> {
    const { signaling } = this.config;
    if (signaling === 'websocket') return { kind: 'websocket' };
    const base =
      this.script._scriptPath === undefined ? process.cwd() : dirname(this.script._scriptPath);
    const path = isAbsolute(signaling) ? signaling : resolve(base, signaling);
    if (!existsSync(path)) {
      throw new Error(
        `config.engines.${ENGINE_NAME}.signaling: no such file: ${path} (a module path is relative to the scenario file; or give "websocket")`,
      );
    }
    return {
      kind: 'module',
      picked: await this.inYamlContext(() => importAdapterModule(path)),
      path,
    };
  }

  /** An adapter module's problem, named by the YAML field that gave the module. */
  private async inYamlContext<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AdapterModuleError) {
        throw new Error(`config.engines.${ENGINE_NAME}.signaling: ${error.message}`);
      }
      throw error;
    }
  }

  private compile(step: Step, ee: EventEmitterLike): StepFunction {
    const helpers = this.helpers;
    switch (step.kind) {
      case 'think':
        return helpers.createThink(step.spec, this.script.config.defaults?.think ?? {});
      case 'loop': {
        const steps = step.steps.map((inner) => this.compile(inner, ee));
        const processor = this.script.config.processor;
        return helpers.createLoopWithCount(step.count ?? -1, steps, {
          loopValue: step.loopValue ?? '$loopCount',
          overValues: step.over,
          whileTrue: step.whileTrue === undefined ? undefined : processor?.[step.whileTrue],
        });
      }
      case 'log':
        return (context, callback) => {
          console.log(helpers.template(step.message, context));
          process.nextTick(callback, null, context);
        };
      case 'function':
        return (context, callback) => {
          const fn = this.script.config.processor?.[step.name];
          if (typeof fn !== 'function') {
            ee.emit('error', ERRORS.function);
            callback(new Error(`function step: no processor function ${step.name}`), context);
            return;
          }
          let called = false;
          const done = (error?: unknown): void => {
            if (called) return;
            called = true;
            if (error) ee.emit('error', ERRORS.function);
            callback(error ?? null, context);
          };
          try {
            const result: unknown = (fn as (...args: unknown[]) => unknown)(context, ee, done);
            if (result instanceof Promise)
              result.then(() => {
                done();
              }, done);
          } catch (error) {
            done(error);
          }
        };
      default:
        return (context, callback) => {
          const bot = context.vars[BOT_VAR] as Bot;
          this.runStep(bot, step, context).then(
            () => {
              callback(null, context);
            },
            (error: unknown) => {
              const kind = error instanceof BotError ? ERROR_NAMES[error.kind] : ERRORS.scenario;
              this.fail(ee, kind, error);
              callback(error, context);
            },
          );
        };
    }
  }

  /**
   * A bot failed: Artillery counts `errors.<kind>`, the report also counts the reason
   * (reasonCounter()), and the console says it once per kind and reason in this worker:
   * `errors.<kind>: <the bot's message>`.
   */
  private fail(ee: EventEmitterLike, kind: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    ee.emit('error', kind);
    // In the report too, by kind and reason; numbers (ids, ms, counts) folded so that the
    // same reason adds up across bots, workers and runners.
    ee.emit('counter', reasonCounter(kind, reason), 1);
    const line = `errors.${kind}: ${reason}`;
    const seen = this.told.get(line) ?? 0;
    this.told.set(line, seen + 1);
    if (seen === 0 && this.told.size <= MAX_TOLD) console.error(`[${ENGINE_NAME}] ${line}`);
  }

  private runStep(bot: Bot, step: Step, context: ArtilleryContext): Promise<void> {
    switch (step.kind) {
      case 'connect':
        return bot
          .connect(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs })
          .then(() => undefined);
      case 'produceData':
        return bot
          .produceData({
            label: step.label,
            protocol: step.protocol,
            appData: { transport: 0 },
            ...(step.ordered !== undefined && { ordered: step.ordered }),
            ...(step.maxRetransmits !== undefined && { maxRetransmits: step.maxRetransmits }),
            ...(step.maxPacketLifeTime !== undefined && {
              maxPacketLifeTime: step.maxPacketLifeTime,
            }),
          })
          .then(() => undefined);
      case 'send': {
        const { payload, binary } = step;
        return bot.send({
          ...(step.label !== undefined && { label: step.label }),
          ...(step.count !== undefined && { count: step.count }),
          ...(step.durationMs !== undefined && { durationMs: step.durationMs }),
          ...(step.rate !== undefined && { rate: step.rate }),
          size: step.size,
          ...(payload !== undefined && {
            payload: (seq: number) => {
              context.vars[SEQ_VAR] = seq;
              const text = String(this.helpers.template(payload, context));
              return binary ? Buffer.from(text, 'utf8') : text;
            },
          }),
        });
      }
      case 'consumeData':
        return bot
          .consumeRoom({
            count:
              step.count ?? (this.config.roomSize === undefined ? 0 : this.config.roomSize - 1),
            ...(step.timeoutMs !== undefined && { timeoutMs: step.timeoutMs }),
            watch: step.watch,
            pollIntervalMs: step.pollIntervalMs,
          })
          .then(() => this.roomConsumed(bot, step.timeoutMs ?? this.config.connectTimeoutMs));
      case 'waitForMessages':
        return bot.waitForMessages({
          ...(step.count !== undefined && { count: step.count }),
          idleMs: step.idleMs,
          timeoutMs: step.timeoutMs,
        });
      case 'close':
        return bot.closeAll();
      default:
        return Promise.reject(new Error(`unexpected step ${step.kind}`));
    }
  }
}

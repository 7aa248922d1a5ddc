// mediasoup-data-producer: the command line. `demo` runs the load engine against the local
// router; `load --signaling <module>` runs it against any mediasoup app. main.ts runs it.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { Command, CommanderError, Option } from 'commander';

import { version } from 'mediasoup-data-producer';
import {
  DEFAULT_SCTP_SETTINGS,
  errorMessage,
  SIGNALING_URL_ENV,
  type SignalingAdapter,
  type SignalingAdapterContext,
  useSctpSettings,
} from 'mediasoup-data-bots';

import { loadAdapterModule, resolveAdapterSpecifier } from './adapterSpecifier.js';
import { startLocalAdapter } from './adapters/local.js';
import { createAdapter as createWebSocketAdapterFromContext } from './adapters/websocket.js';
import {
  ConsumeNotSupportedError,
  LoadEngine,
  ShardedEngine,
  type LoadConfig,
} from './engine/index.js';
import { UsageError } from './errors.js';
import { openFilesProblem } from './openFiles.js';
import {
  addCapacityOptions,
  addLoadOptions,
  addShardOptions,
  CAPACITY_DEFAULTS,
  DEMO_DEFAULTS,
  LOAD_DEFAULTS,
  parseInteger,
  toLoadConfig,
  type RawLoadOptions,
} from './options.js';
import { startProgress, type ProgressDisplay } from './progress.js';
import { planShards } from './shardPlan.js';
import { launchShard, runShardChild, type ShardExtra } from './shardChild.js';
import { runRouterHost } from './routerHost.js';
import { buildReport, defaultReportDir, writeJson, writeReport } from './report.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE } from './exitCodes.js';
import { describeFanOut, formatCount, formatSummary, summarize } from './summary.js';
import {
  formatCapacity,
  formatCapacityStep,
  searchCapacity,
  sustainedFigures,
} from './capacity.js';

type CommandName = 'demo' | 'load' | 'capacity';

interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WritableStream;
}

/** What emits SIGINT and SIGTERM: `process`, or a stand-in in tests. */
export type SignalSource = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

export interface MainOptions {
  /** Default: process. */
  signals?: SignalSource;
  /**
   * Called on a second SIGINT or SIGTERM during a run, while the first one is still closing
   * everything: the caller may end the process at once (main.ts does). Without it the run
   * goes on closing.
   */
  onSecondSignal?: (signal: NodeJS.Signals) => void;
}

/** Runs the CLI; resolves with the exit code. Never calls process.exit(). */
export async function main(
  argv: string[],
  io: Io = { out: process.stdout, err: process.stderr },
  options: MainOptions = {},
): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('mediasoup-data-producer')
    .description(
      'Load-test mediasoup DataProducers over real WebRTC: the local router (demo) or your own app (load).',
    )
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
    })
    .showHelpAfterError('(add --help for usage)');

  addShardOptions(
    addLoadOptions(
      program
        .command('demo')
        .description(
          'start the local mediasoup router, send to it and check every message (order, completeness, latency)',
        ),
      DEMO_DEFAULTS,
    ),
  ).action(async (raw: RawLoadOptions) => {
    exitCode = await runCommand('demo', raw, io, options);
  });

  addShardOptions(
    addLoadOptions(
      program
        .command('load')
        .description('send to your own mediasoup app through a signaling adapter module'),
    ),
  )
    .requiredOption(
      '--signaling <module>',
      'adapter module (.js/.mjs/.cjs path), or a built-in adapter: local, websocket',
    )
    .option(
      '--signaling-url <url>',
      'URL given to the adapter (the websocket adapter needs one; default $MDP_SIGNALING_URL)',
    )
    .action(async (raw: RawLoadOptions) => {
      exitCode = await runCommand('load', raw, io, options);
    });

  addCapacityOptions(
    addLoadOptions(
      program
        .command('capacity')
        .description(
          'raise the offered rate step by step (from --rate, × --step-factor) until messages are lost or p99 passes --max-p99; report the highest rate sustained',
        ),
      CAPACITY_DEFAULTS,
    ),
  )
    .option(
      '--signaling <module>',
      'adapter module (.js/.mjs/.cjs path), or a built-in adapter: local (default), websocket',
    )
    .option(
      '--signaling-url <url>',
      'URL given to the adapter (the websocket adapter needs one; default $MDP_SIGNALING_URL)',
    )
    .action(async (raw: RawLoadOptions) => {
      exitCode = await runCapacityCommand(raw, io, options);
    });

  program
    .command('shard', { hidden: true })
    .description('one shard of a sharded run (started by demo and load, with an IPC channel)')
    .action(async () => {
      exitCode = await runShardChild();
    });

  program
    .command('local-router')
    .description(
      'run the local mediasoup router behind the websocket signaling protocol (for load --signaling websocket)',
    )
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', parseInteger(0, 65535), 0)
    .option(
      '-w, --workers <n>',
      'mediasoup workers (each a single-threaded process; transports go to the least busy)',
      parseInteger(1, 64),
      1,
    )
    .addOption(new Option('--child', 'run for a parent process (stop when stdin ends)').hideHelp())
    .action(async (raw: { host: string; port: number; workers: number; child?: boolean }) => {
      exitCode = await runRouterHost(
        { host: raw.host, port: raw.port, workers: raw.workers, child: raw.child === true },
        io,
      );
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message; help and --version exit 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    throw error;
  }
  return exitCode;
}

async function createAdapter(
  command: CommandName,
  raw: RawLoadOptions,
): Promise<{
  adapter: SignalingAdapter;
  name: string;
  shardExtra: Omit<ShardExtra, 'sctpSettings'>;
}> {
  const context: SignalingAdapterContext = {
    url: raw.signalingUrl ?? (process.env[SIGNALING_URL_ENV] || undefined),
    env: process.env,
  };
  const specifier =
    command === 'demo' ? 'local' : (raw.signaling ?? (command === 'capacity' ? 'local' : ''));
  const target = resolveAdapterSpecifier(specifier);
  if ('builtIn' in target) {
    if (target.builtIn === 'local') {
      const { adapter, router, url } = await startLocalAdapter({ workers: raw.workers });
      return {
        adapter,
        name: `the local router (${router})`,
        shardExtra: { signaling: 'websocket', signalingUrl: url },
      };
    }
    return {
      adapter: createWebSocketAdapterFromContext(context),
      name: 'websocket',
      shardExtra: { signaling: 'websocket', signalingUrl: context.url },
    };
  }
  return {
    adapter: await loadAdapterModule(target.path, context),
    name: target.path,
    shardExtra: { signaling: target.path, signalingUrl: context.url },
  };
}

async function runCommand(
  command: CommandName,
  raw: RawLoadOptions,
  io: Io,
  { signals: source = process, onSecondSignal }: MainOptions,
): Promise<number> {
  let engine: LoadEngine | ShardedEngine | undefined;
  const signals = watchSignals(
    source,
    io,
    'stopping, closing every transport',
    onSecondSignal,
    () => engine?.interrupt(),
  );
  // A function: the compiler would narrow `signals.interrupted` across the awaits below.
  const wasInterrupted = (): boolean => signals.interrupted;
  let adapter: SignalingAdapter | undefined;
  let progress: ProgressDisplay | undefined;
  try {
    // Every option is checked, the adapter loaded and the report folder made before any
    // transport connects.
    const local = command === 'demo' || raw.signaling === 'local';
    const config = toLoadConfig(raw, {
      local,
      defaults: command === 'demo' ? DEMO_DEFAULTS : LOAD_DEFAULTS,
    });
    // A run whose bots consume stays in one process unless shards are asked for: then its
    // bots consume producers of other shards through the app, meeting at barriers.
    const consuming = (config.consumers ?? 0) > 0 || (config.roomSize ?? 0) > 0;
    const shardSizes =
      consuming && raw.shards === undefined && raw.botsPerShard === undefined
        ? [config.transports]
        : planShards({
            bots: config.transports,
            ...(raw.shards !== undefined && { shards: raw.shards }),
            ...(raw.botsPerShard !== undefined && { botsPerShard: raw.botsPerShard }),
          });
    const sctpSettings = raw.sctpSettings ?? DEFAULT_SCTP_SETTINGS;
    useSctpSettings(sctpSettings);
    const tooManyFiles = openFilesProblem(config);
    if (tooManyFiles) throw new UsageError(tooManyFiles);
    const reportDir = raw.report
      ? raw.reportDir
        ? resolve(raw.reportDir)
        : defaultReportDir()
      : undefined;
    const jsonPath = raw.json ? resolve(raw.json) : undefined;
    if (jsonPath && existsSync(jsonPath) && statSync(jsonPath).isDirectory()) {
      throw new UsageError(`--json: ${jsonPath} is a directory; give a file path`);
    }

    let adapterName: string;
    let shardExtra: Omit<ShardExtra, 'sctpSettings'>;
    try {
      ({ adapter, name: adapterName, shardExtra } = await createAdapter(command, raw));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new Error(`could not start the signaling adapter: ${errorMessage(error)}`);
    }
    if (wasInterrupted()) return EXIT_INTERRUPTED;
    if (reportDir) prepareDir(reportDir, '--report-dir');

    const runId = randomUUID();
    if (shardSizes.length > 1) {
      const sizes = shardSizes;
      if (consuming && !adapter.consumeData && !adapter.openSession) {
        throw new UsageError(consumeNotSupported(adapterName));
      }
      engine = new ShardedEngine({
        config,
        runId,
        sizes,
        launch: launchShard,
        extra: { ...shardExtra, sctpSettings } satisfies ShardExtra,
        adapter,
        onLaunched: (pids) => {
          io.out.write(
            `shards: ${sizes.length} processes of ${Math.min(...sizes)}-${Math.max(...sizes)} bots, pids ${pids.map((p) => p ?? '?').join(' ')}\n`,
          );
        },
      });
    } else {
      engine = newEngine(adapter, config, runId, adapterName);
    }
    const fanOut = describeFanOut(config);
    io.out.write(
      `mediasoup-data-producer ${command} via ${adapterName}: ${config.transports} transports × ` +
        `${config.producers} producer${config.producers === 1 ? '' : 's'}, ${config.size} B, ` +
        `${config.rate > 0 ? `${config.rate} msg/s per producer` : 'unlimited rate'}, ` +
        `${config.durationMs / 1000} s${fanOut ? `, ${fanOut}` : ''} (run ${runId})\n`,
    );
    if (wasInterrupted()) engine.interrupt();
    if (raw.progress) progress = startProgress(engine, io.out);
    const result = await engine.run();
    progress?.stop();
    progress = undefined;
    await closeAdapter(adapter, io);
    adapter = undefined;

    const summary = summarize(command, config, result);
    const report = buildReport(command, config, result, summary);
    const notes: string[] = [];
    let reportShown: string | undefined;
    if (reportDir) {
      try {
        const written = await writeReport(reportDir, report);
        notes.push(...written.notes);
        reportShown = `${written.dir} (report.json, ${written.chart?.split(/[\\/]/).pop() ?? ''})`;
      } catch (error) {
        notes.push(`could not write the report to ${reportDir}: ${errorMessage(error)}`);
      }
    }
    if (jsonPath) {
      try {
        writeJson(jsonPath, report);
      } catch (error) {
        notes.push(`could not write ${jsonPath}: ${errorMessage(error)}`);
      }
    }
    notes.push(...result.warnings.map((w) => `warning: ${w}`));
    for (const e of result.errors.slice(0, 5)) {
      const where =
        e.transport === undefined
          ? ''
          : ` transport ${e.transport}${e.producer === undefined ? '' : ` producer ${e.producer}`}`;
      notes.push(`error at ${(e.atMs / 1000).toFixed(1)} s${where}: ${e.message}`);
    }
    if (result.errorCount > 5)
      notes.push(`... ${result.errorCount - 5} more errors in report.json`);
    io.out.write(
      '\n' +
        formatSummary(summary, config, {
          ...(reportShown && { reportDir: reportShown }),
          ...(jsonPath && { jsonPath }),
          notes,
        }),
    );
    return wasInterrupted() ? EXIT_INTERRUPTED : summary.exitCode;
  } catch (error) {
    progress?.stop();
    if (error instanceof UsageError) {
      io.err.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.err.write(`error: ${errorMessage(error)}\n`);
    return wasInterrupted() ? EXIT_INTERRUPTED : EXIT_FAILED;
  } finally {
    if (adapter) await closeAdapter(adapter, io);
    signals.stop();
  }
}

/** The engine, or a usage error when consumers are asked of an adapter that cannot consume. */
export function newEngine(
  adapter: SignalingAdapter,
  config: LoadConfig,
  runId: string,
  adapterName: string,
): LoadEngine {
  try {
    return new LoadEngine(adapter, config, runId);
  } catch (error) {
    if (error instanceof ConsumeNotSupportedError) {
      throw new UsageError(consumeNotSupported(adapterName));
    }
    throw error;
  }
}

function consumeNotSupported(adapterName: string): string {
  return `--consumers and --room-size need a signaling adapter with consumeData(): ${adapterName} has none (see docs/cli.md, "Writing an adapter")`;
}

function prepareDir(dir: string, option: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(`${option}: cannot create ${dir}: ${errorMessage(error)}`);
  }
}

async function closeAdapter(adapter: SignalingAdapter, io: Io): Promise<void> {
  if (!adapter.close) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      adapter.close(),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          io.err.write('warning: the signaling adapter did not close within 10 s\n');
          resolve();
        }, 10000);
      }),
    ]);
  } catch (error) {
    io.err.write(`warning: closing the signaling adapter failed: ${errorMessage(error)}\n`);
  } finally {
    clearTimeout(timer);
  }
}

interface SignalWatch {
  /** A first SIGINT or SIGTERM came. */
  readonly interrupted: boolean;
  stop(): void;
}

/**
 * A first SIGINT or SIGTERM interrupts the run, which then closes everything; a second one
 * goes to onSecondSignal (main.ts exits at once), or only says the run is still closing.
 */
function watchSignals(
  source: SignalSource,
  io: Io,
  stopping: string,
  onSecondSignal: MainOptions['onSecondSignal'],
  interrupt: () => void,
): SignalWatch {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      if (onSecondSignal) onSecondSignal(signal);
      else io.err.write(`\n${signal} again: still closing\n`);
      return;
    }
    interrupted = true;
    io.err.write(`\n${signal}: ${stopping}${onSecondSignal ? ' (again to exit at once)' : ''}\n`);
    interrupt();
  };
  source.on('SIGINT', onSignal);
  source.on('SIGTERM', onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    stop() {
      source.off('SIGINT', onSignal);
      source.off('SIGTERM', onSignal);
    },
  };
}

/** `capacity`: one adapter, one LoadEngine per step, the search in capacity.ts. */
async function runCapacityCommand(
  raw: RawLoadOptions,
  io: Io,
  { signals: source = process, onSecondSignal }: MainOptions,
): Promise<number> {
  let engine: LoadEngine | undefined;
  const signals = watchSignals(
    source,
    io,
    'stopping the search, closing every transport',
    onSecondSignal,
    () => engine?.interrupt(),
  );
  let adapter: SignalingAdapter | undefined;
  try {
    const local = raw.signaling === undefined || raw.signaling === 'local';
    const config = toLoadConfig(raw, { local, defaults: CAPACITY_DEFAULTS });
    useSctpSettings(raw.sctpSettings ?? DEFAULT_SCTP_SETTINGS);
    const tooManyFiles = openFilesProblem(config);
    if (tooManyFiles) throw new UsageError(tooManyFiles);
    if (config.rate <= 0) throw new UsageError('capacity: --rate (the first step) must be above 0');
    const schedule = {
      startRate: config.rate,
      factor: raw.stepFactor ?? 2,
      maxSteps: raw.maxSteps ?? 8,
    };
    const bound = { maxP99Ms: raw.maxP99 ?? 200 };
    const reportDir = raw.report
      ? raw.reportDir
        ? resolve(raw.reportDir)
        : defaultReportDir()
      : undefined;
    const jsonPath = raw.json ? resolve(raw.json) : undefined;
    let adapterName: string;
    try {
      ({ adapter, name: adapterName } = await createAdapter('capacity', raw));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new Error(`could not start the signaling adapter: ${errorMessage(error)}`);
    }
    const stepAdapter = adapter;
    const producers = config.transports * config.producers;
    const fanOut = describeFanOut(config);
    io.out.write(
      `mediasoup-data-producer capacity via ${adapterName}: ${config.transports} transports × ` +
        `${config.producers} producer${config.producers === 1 ? '' : 's'}, ${config.size} B` +
        `${fanOut ? `, ${fanOut}` : ''}; steps of ${config.durationMs / 1000} s from ` +
        `${config.rate} msg/s per producer, × ${schedule.factor}, at most ${schedule.maxSteps}; ` +
        `a step fails on any loss, an error, sending < 90 % of the offered rate, or p99 > ${bound.maxP99Ms} ms\n`,
    );
    const result = await searchCapacity(
      schedule,
      bound,
      { producers, size: config.size },
      async (rate, step) => {
        const stepConfig = { ...config, rate };
        engine = newEngine(stepAdapter, stepConfig, randomUUID(), adapterName);
        if (signals.interrupted) engine.interrupt();
        io.out.write(`running step ${step}: ${formatCount(rate)} msg/s per producer\n`);
        const progress = raw.progress ? startProgress(engine, io.out) : undefined;
        try {
          return summarize('capacity', stepConfig, await engine.run());
        } finally {
          progress?.stop();
        }
      },
      {
        interrupted: () => signals.interrupted,
        onStep: (step) => io.out.write(`  ${formatCapacityStep(step)}\n`),
      },
    );
    await closeAdapter(adapter, io);
    adapter = undefined;

    const report = {
      tool: 'mediasoup-data-producer',
      version,
      command: 'capacity',
      options: config,
      schedule,
      bound,
      sustained: result.sustained && sustainedFigures(result.sustained, config),
      stoppedBy: result.stoppedBy,
      steps: result.steps,
    };
    const lines = formatCapacity(result, config, bound);
    for (const [path, what] of [
      [reportDir && resolve(reportDir, 'report.json'), '--report-dir'],
      [jsonPath, '--json'],
    ] as const) {
      if (!path) continue;
      try {
        writeJson(path, report);
        lines.push(`  ${what === '--json' ? 'json  ' : 'report'}     ${path}`);
      } catch (error) {
        lines.push(`  note: could not write ${path}: ${errorMessage(error)}`);
      }
    }
    io.out.write('\n' + lines.join('\n') + '\n');
    if (result.stoppedBy === 'interrupted') return EXIT_INTERRUPTED;
    return result.sustained ? 0 : EXIT_FAILED;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.err.write(`error: ${errorMessage(error)}\n`);
    return signals.interrupted ? EXIT_INTERRUPTED : EXIT_FAILED;
  } finally {
    if (adapter) await closeAdapter(adapter, io);
    signals.stop();
  }
}

// A run cut into shards: each shard a child process that runs a LoadEngine over its share of
// the bots (launched by the caller, which knows how to start one), all started together,
// watched through their progress reports, and merged into one result. A shard that crashes
// or is killed counts its bots as failed; the others go on. interrupt() interrupts them all.

import type { ChildProcess } from 'node:child_process';

import { epochNow, errorMessage, type SignalingAdapter } from 'mediasoup-data-bots';

import { OptionalCalls } from './optionalCalls.js';
import { RunRecorder } from './runRecorder.js';
import {
  mergeProducerMaps,
  mergeSentMaps,
  ShardBarrier,
  type ProducerMap,
  type SentMap,
  type ShardStage,
} from './shardBarrier.js';
import { mergeShardResults, type ShardPart } from './shardMerge.js';
import type { EngineResult, LoadConfig, Phase, ShardOutcome, Snapshot } from './types.js';

/** What a shard is given: the engine's config for its bots and its own run id. */
export interface ShardTask {
  index: number;
  runId: string;
  config: LoadConfig;
}

/** Parent to shard: its task, go, interrupt, and (runs that consume) each barrier's release. */
export type ToShard =
  | { type: 'task'; task: ShardTask; extra: unknown }
  | { type: 'go' }
  | { type: 'interrupt' }
  | { type: 'producers'; producers: ProducerMap }
  | { type: 'consumersOpen' }
  | { type: 'sent'; sent: SentMap };

/** Shard to parent: (runs that consume) it reached a barrier, with its part. */
export type FromShard =
  | { type: 'ready' }
  | { type: 'producers'; producers: ProducerMap }
  | { type: 'consumersOpen' }
  | { type: 'sent'; sent: SentMap }
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'result'; result: EngineResult }
  | { type: 'error'; message: string };

export interface ShardedEngineOptions {
  config: LoadConfig;
  runId: string;
  /** Bots of each shard, in order. */
  sizes: readonly number[];
  /** Starts a shard's process, with an IPC channel; it is then sent its task. */
  launch: (task: ShardTask) => ChildProcess;
  /** Given to every shard with its task (how to reach the app). */
  extra?: unknown;
  /** The run's adapter in this process, for the mediasoup workers' CPU (optional). */
  adapter?: SignalingAdapter;
  /** Called once every shard's process is launched, with their pids (a test kills one). */
  onLaunched?: (pids: (number | undefined)[]) => void;
  /** How long shards may take to start before the run starts without them (default 60 s). */
  startTimeoutMs?: number;
}

interface Shard {
  task: ShardTask;
  child: ChildProcess | undefined;
  ready: boolean;
  snapshot: Snapshot | undefined;
  result: EngineResult | undefined;
  error: string | undefined;
  endedAtMs: number | undefined;
  ended: Promise<void>;
}

const PHASES: Phase[] = ['starting', 'connecting', 'sending', 'draining', 'closing', 'done'];

export class ShardedEngine {
  private readonly shards: Shard[];
  private interrupted = false;
  private started = false;
  private t0 = performance.now();
  private phase: Phase = 'starting';
  private readonly recorder: RunRecorder;
  /** Where the shards of a run that consumes meet (see shardBarrier.ts). */
  private readonly barrier: ShardBarrier;

  constructor(private readonly options: ShardedEngineOptions) {
    const { config, runId, sizes } = options;
    this.recorder = new RunRecorder(runId);
    this.barrier = new ShardBarrier(sizes.length, (stage, payloads) => {
      this.release(stage, payloads);
    });
    let first = 0;
    this.shards = sizes.map((size, index) => {
      const task: ShardTask = {
        index,
        runId: `${runId}-s${index}`,
        config: {
          ...config,
          transports: size,
          shard: { first, runTransports: config.transports, runId },
        },
      };
      first += size;
      return {
        task,
        child: undefined,
        ready: false,
        snapshot: undefined,
        result: undefined,
        error: undefined,
        endedAtMs: undefined,
        ended: Promise.resolve(),
      };
    });
  }

  get runId(): string {
    return this.options.runId;
  }

  /** The shards' process ids (undefined before run() started them). */
  get pids(): (number | undefined)[] {
    return this.shards.map((s) => s.child?.pid);
  }

  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    for (const shard of this.shards) this.send(shard, { type: 'interrupt' });
  }

  snapshot(): Snapshot {
    const { config } = this.options;
    const snap: Snapshot = {
      phase: this.phase,
      elapsedMs: performance.now() - this.t0,
      durationMs: config.durationMs,
      sentMessages: 0,
      sentBytes: 0,
      openTransports: 0,
      failedTransports: 0,
      totalTransports: config.transports,
      bufferedAmount: 0,
      errors: 0,
    };
    let phase: Phase | undefined;
    for (const shard of this.shards) {
      const s = shard.snapshot;
      if (shard.error !== undefined) {
        snap.failedTransports += shard.task.config.transports;
        snap.errors++;
      } else if (s) {
        snap.sentMessages += s.sentMessages;
        snap.sentBytes += s.sentBytes;
        snap.openTransports += s.openTransports;
        snap.failedTransports += s.failedTransports;
        snap.bufferedAmount += s.bufferedAmount;
        snap.errors += s.errors;
        // The run is where its slowest running shard is.
        if (phase === undefined || PHASES.indexOf(s.phase) < PHASES.indexOf(phase)) phase = s.phase;
      }
    }
    if (this.started && phase) snap.phase = phase;
    return snap;
  }

  async run(): Promise<EngineResult> {
    const cpuStart = process.cpuUsage();
    const optional = this.options.adapter
      ? new OptionalCalls(this.options.adapter, this.options.runId, this.recorder)
      : undefined;
    const workerCpuStart = await optional?.workerCpu();
    this.t0 = performance.now();
    const startedAt = epochNow();
    for (const shard of this.shards) this.start(shard);
    this.options.onLaunched?.(this.pids);
    await this.allReady(this.options.startTimeoutMs ?? 60000);
    this.started = true;
    this.phase = 'connecting';
    for (const shard of this.shards) {
      this.send(shard, { type: this.interrupted ? 'interrupt' : 'go' });
    }
    await Promise.all(this.shards.map((s) => s.ended));
    this.phase = 'done';
    const workerCpuEnd = workerCpuStart === undefined ? undefined : await optional?.workerCpu();
    const cpu = process.cpuUsage(cpuStart);
    const parts: ShardPart[] = this.shards.map((shard) => {
      const outcome: ShardOutcome = {
        index: shard.task.index,
        pid: shard.child?.pid,
        first: shard.task.config.shard?.first ?? 0,
        transports: shard.task.config.transports,
        status: shard.result ? 'ok' : 'failed',
        ...(!shard.result && {
          error: shard.error ?? 'ended without a result',
          ...(shard.endedAtMs !== undefined && { endedAtMs: shard.endedAtMs }),
        }),
        lastSentMessages: shard.result?.sentMessages ?? shard.snapshot?.sentMessages ?? 0,
        ...(shard.result && {
          clientCpuSeconds: shard.result.clientCpuSeconds,
          clientMemoryBytes: shard.result.clientMemoryBytes,
          latencyHistogram: shard.result.receiver?.latencyHistogram,
        }),
      };
      return shard.result ? { outcome, result: shard.result } : { outcome, result: undefined };
    });
    const { config } = this.options;
    return mergeShardResults(parts, {
      runId: this.options.runId,
      producers: config.producers,
      labelOf: (t, p) => config.label ?? `mdp-${t}-${p}`,
      startedAt,
      endedAt: epochNow(),
      interrupted: this.interrupted,
      parentCpuSeconds: (cpu.user + cpu.system) / 1e6,
      workerCpuSeconds:
        workerCpuStart === undefined || workerCpuEnd === undefined
          ? undefined
          : workerCpuEnd - workerCpuStart,
      warnings: this.recorder.warnings(),
    });
  }

  private start(shard: Shard): void {
    let child: ChildProcess;
    try {
      child = this.options.launch(shard.task);
    } catch (error) {
      shard.error = `could not start: ${errorMessage(error)}`;
      this.barrier.drop(shard.task.index);
      return;
    }
    shard.child = child;
    shard.ended = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        shard.error ??= `could not start: ${error.message}`;
        this.barrier.drop(shard.task.index);
      });
      child.once('close', (code, signal) => {
        shard.endedAtMs = Math.round(performance.now() - this.t0);
        if (!shard.result) {
          shard.error ??= signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
        }
        // No barrier waits for a shard that ended; its producers' messages are not expected.
        this.barrier.drop(shard.task.index);
        resolve();
      });
    });
    child.on('message', (message: FromShard) => {
      switch (message.type) {
        case 'ready':
          shard.ready = true;
          break;
        case 'snapshot':
          shard.snapshot = message.snapshot;
          break;
        case 'result':
          shard.result = message.result;
          break;
        case 'error':
          shard.error = message.message;
          break;
        case 'producers':
          this.barrier.arrive(shard.task.index, 'producers', message.producers);
          break;
        case 'consumersOpen':
          this.barrier.arrive(shard.task.index, 'consumersOpen');
          break;
        case 'sent':
          this.barrier.arrive(shard.task.index, 'sent', message.sent);
          break;
      }
    });
    this.send(shard, { type: 'task', task: shard.task, extra: this.options.extra });
  }

  /** Resolves once every shard is ready or has ended, or after timeoutMs. */
  private async allReady(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const waiting = (): boolean =>
      this.shards.some(
        (s) => !s.ready && s.error === undefined && s.child?.exitCode === null && !s.result,
      );
    while (waiting() && !this.interrupted && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every shard may go past a barrier: tells each the run's part. */
  private release(stage: ShardStage, payloads: unknown[]): void {
    const message: ToShard =
      stage === 'producers'
        ? { type: 'producers', producers: mergeProducerMaps(payloads as ProducerMap[]) }
        : stage === 'sent'
          ? { type: 'sent', sent: mergeSentMaps(payloads as SentMap[]) }
          : { type: 'consumersOpen' };
    for (const shard of this.shards) this.send(shard, message);
  }

  private send(shard: Shard, message: ToShard): void {
    const child = shard.child;
    if (!child?.connected) return;
    try {
      child.send(message);
    } catch {
      // It has just ended: its 'close' tells.
    }
  }
}

// The load engine: starts its bots (all at once, or spread over the ramp-up), each a Bot of
// mediasoup-data-bots with one send transport and its producers, makes each producer send
// numbered, timestamped messages, paced on bufferedAmount and an optional rate, until the
// duration is over or it is interrupted; then waits for the buffers (and, when the adapter
// can tell, the receiving side) to drain and closes everything.

import { setMaxListeners } from 'node:events';

import { Device } from 'mediasoup-data-producer';
import {
  abortableSleep,
  aborted,
  Bot,
  delay,
  epochNow,
  errorMessage,
  MessageTooLargeError,
  settleWithin,
  type BotMetrics,
  type BotProducer,
  type ReceiverReport,
  type SignalingAdapter,
} from 'mediasoup-data-bots';

import { ConsumerSide, type SentOf } from './consumerSide.js';
import { consumedBotsOfShard } from './fanOut.js';
import { OptionalCalls } from './optionalCalls.js';
import { RunRecorder } from './runRecorder.js';
import { newTransportState, transportResult, type TransportState } from './transportState.js';
import type {
  EndReason,
  EngineResult,
  LoadConfig,
  MessageSizeProblem,
  Phase,
  ShardCoordinator,
  Snapshot,
} from './types.js';

export class LoadEngine {
  private readonly device = new Device();
  private readonly transports: TransportState[];
  private readonly stopController = new AbortController();
  private phase: Phase = 'starting';
  private t0 = performance.now();
  private startedAt = epochNow();
  private endReason: EndReason = 'duration';
  private interrupted = false;
  private sendEndedAt: number | undefined;
  private messageTooLarge: MessageSizeProblem | undefined;
  private readonly recorder: RunRecorder;
  private readonly optional: OptionalCalls;
  private activePumps = 0;
  private pendingOpenings = 0;
  private readonly pumps: Promise<void>[] = [];
  private readonly openings: Promise<void>[] = [];
  private readonly consumerSide: ConsumerSide;
  /** Where the bots' counts of what they sent go. */
  private readonly metrics: BotMetrics;
  /** Whether producers wait for consumers: this engine's, or (sharded) the run's. */
  private readonly consuming: boolean;
  /** The run's producers' sent counts from the other shards (sharded runs that consume). */
  private runSent: Record<string, number> | undefined;
  /** Producers send once it resolves: at once, or once every consumer is open. */
  private readonly sendGate: Promise<void>;
  private openSendGate: () => void = () => undefined;

  /**
   * Throws ConsumeNotSupportedError when asked to consume through an adapter that cannot.
   * `coordinator`: when this engine is one shard of a run whose bots consume, how it meets
   * the other shards (their producers, their consumers open, their counts).
   */
  constructor(
    private readonly adapter: SignalingAdapter,
    private readonly config: LoadConfig,
    readonly runId: string,
    private readonly coordinator?: ShardCoordinator,
  ) {
    this.recorder = new RunRecorder(runId, this.t0);
    const recorder = this.recorder;
    this.metrics = {
      counter(name, value, at) {
        if (name === 'messagesSent') recorder.countSent(at, value, 0);
        else if (name === 'bytesSent') recorder.countSent(at, 0, value);
      },
      histogram: () => undefined,
    };
    // Every waiting producer listens to it.
    setMaxListeners(0, this.stopController.signal);
    const first = config.shard?.first ?? 0;
    this.transports = Array.from({ length: config.transports }, (_, index) =>
      newTransportState(first + index, config.producers, config.label),
    );
    this.optional = new OptionalCalls(adapter, runId, this.recorder);
    // Over the run's numbering: a bot of a shard may consume bots of another.
    const plan = consumedBotsOfShard(
      config.shard?.runTransports ?? config.transports,
      first,
      config.transports,
      { consumers: config.consumers ?? 0, roomSize: config.roomSize ?? 0 },
    );
    this.consumerSide = new ConsumerSide(adapter, plan, config.size, (message, bot) => {
      this.recorder.error(message, bot);
    });
    // A shard whose bots consume nothing still waits: the other shards' bots consume its own.
    this.consuming = this.consumerSide.active || coordinator !== undefined;
    this.sendGate = this.consuming
      ? new Promise((resolve) => {
          this.openSendGate = resolve;
        })
      : Promise.resolve();
  }

  /** A method, not a getter: its value changes across awaits. */
  private isStopping(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Stops sending as soon as possible; the run then closes everything without draining. */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.stop('interrupted');
  }

  snapshot(): Snapshot {
    let open = 0;
    let failed = 0;
    let buffered = 0;
    for (const t of this.transports) {
      if (t.status === 'open') open++;
      else if (t.status === 'failed') failed++;
      for (const p of t.producers) {
        const dp = p.bot?.dataProducer;
        if (dp && !dp.closed) buffered += dp.bufferedAmount;
      }
    }
    this.recorder.seeBuffered(buffered);
    return {
      phase: this.phase,
      elapsedMs: performance.now() - this.t0,
      durationMs: this.config.durationMs,
      sentMessages: this.recorder.sentMessages,
      sentBytes: this.recorder.sentBytes,
      openTransports: open,
      failedTransports: failed,
      totalTransports: this.transports.length,
      bufferedAmount: buffered,
      errors: this.recorder.errorCount,
    };
  }

  async run(): Promise<EngineResult> {
    const cpuStart = process.cpuUsage();
    const workerCpuStart = await this.optional.workerCpu();
    this.t0 = performance.now();
    this.recorder.startedAt = this.t0;
    this.startedAt = epochNow();
    const sampler = setInterval(() => {
      this.sample();
    }, 250);
    let drained = false;
    let receiver: ReceiverReport | undefined;
    try {
      try {
        // With a session per bot, each bot loads its own Device through its session.
        if (!this.adapter.openSession) {
          const routerRtpCapabilities = await this.adapter.getRouterRtpCapabilities();
          await this.device.load({ routerRtpCapabilities });
        }
      } catch (error) {
        this.recorder.error(`getRouterRtpCapabilities failed: ${errorMessage(error)}`);
        this.stop('fatal');
      }
      if (!this.isStopping()) {
        this.phase = 'connecting';
        const deadline = setTimeout(() => {
          this.stop('duration');
        }, this.config.durationMs);
        try {
          this.startOpenings();
          if (this.consuming) void this.openConsumers();
          await aborted(this.stopController.signal);
        } finally {
          clearTimeout(deadline);
        }
        this.sendEndedAt = epochNow();
        // Producers stop at once; openings still waiting for the app are abandoned after a while.
        await Promise.all(this.pumps);
        await settleWithin(Promise.all(this.openings), 3000);
        if (!this.interrupted) {
          this.phase = 'draining';
          drained = await this.drain();
        }
      }
      receiver = await this.optional.receiverStats(this.interrupted ? 2000 : 5000);
    } finally {
      clearInterval(sampler);
      this.sample();
      this.phase = 'closing';
      await this.closeAll();
    }
    const cpu = process.cpuUsage(cpuStart);
    const workerCpuEnd = workerCpuStart === undefined ? undefined : await this.optional.workerCpu();
    this.phase = 'done';
    const recorder = this.recorder;
    return {
      runId: this.runId,
      startedAt: this.startedAt,
      endedAt: epochNow(),
      endReason: this.endReason,
      interrupted: this.interrupted,
      sendStartedAt: recorder.sendStartedAt,
      sendEndedAt: recorder.sendStartedAt === undefined ? undefined : this.sendEndedAt,
      drained,
      sentMessages: recorder.sentMessages,
      sentBytes: recorder.sentBytes,
      maxBufferedAmount: recorder.maxBufferedAmount,
      transports: this.transports.map(transportResult),
      timeline: recorder.timeline(),
      receiver,
      ...(this.consumerSide.active && {
        consumers: this.consumerSide.result(this.runId, this.sentOf()),
      }),
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      clientMemoryBytes: process.resourceUsage().maxRSS * 1024,
      workerCpuSeconds:
        workerCpuStart === undefined || workerCpuEnd === undefined
          ? undefined
          : workerCpuEnd - workerCpuStart,
      errors: recorder.errors,
      errorCount: recorder.errorCount,
      warnings: recorder.warnings(),
      ...(this.messageTooLarge && { messageTooLarge: this.messageTooLarge }),
    };
  }

  private stop(reason: EndReason): void {
    if (this.isStopping()) return;
    this.endReason = reason;
    this.stopController.abort();
  }

  private startOpenings(): void {
    const { rampUpMs } = this.config;
    const transports = this.config.shard?.runTransports ?? this.config.transports;
    for (const state of this.transports) {
      this.pendingOpenings++;
      const delay = (rampUpMs * state.index) / transports;
      const opening = (async () => {
        if (delay > 0) await abortableSleep(delay, this.stopController.signal);
        if (this.isStopping()) {
          state.status = 'aborted';
          return;
        }
        await this.openTransport(state);
      })().finally(() => {
        this.pendingOpenings--;
        this.checkActive();
      });
      this.openings.push(opening);
    }
  }

  /**
   * Once every send transport has opened (or failed), the consuming bots consume their
   * producers; then the producers start sending.
   */
  private async openConsumers(): Promise<void> {
    await Promise.all(this.openings);
    if (this.isStopping()) return;
    const local: Record<number, string[]> = {};
    for (const state of this.transports) {
      const ids = state.producers.flatMap((p) => (p.id === undefined ? [] : [p.id]));
      if (ids.length > 0) local[state.index] = ids;
    }
    let producersOf = (bot: number): string[] => local[bot] ?? [];
    const coordinator = this.coordinator;
    if (coordinator) {
      const run = await this.unlessStopped(coordinator.producers(local));
      if (!run) return;
      producersOf = (bot) => run[bot] ?? [];
    }
    await this.consumerSide.open(this.transports, producersOf, this.config.connectTimeoutMs);
    if (coordinator && !(await this.unlessStopped(coordinator.consumersOpen()))) return;
    this.openSendGate();
  }

  /** Resolves with the promise's value, or undefined once the run stops. */
  private async unlessStopped<T>(promise: Promise<T>): Promise<T | undefined> {
    const value = await Promise.race([
      promise,
      aborted(this.stopController.signal).then(() => undefined),
    ]);
    return this.isStopping() ? undefined : value;
  }

  /** The sent count of a producer of this engine, or (sharded) of the run. */
  private sentOf(): SentOf {
    const local = new Map<string, number>();
    for (const state of this.transports) {
      for (const p of state.producers) if (p.id !== undefined) local.set(p.id, p.bot?.sent ?? 0);
    }
    const run = this.runSent;
    return (id) => local.get(id) ?? run?.[id];
  }

  /**
   * A sharded run: tells the others what this shard's producers sent, and learns theirs
   * (waiting at most until the deadline). False when they did not all answer in time.
   */
  private async exchangeSent(deadline: number): Promise<boolean> {
    const coordinator = this.coordinator;
    if (!coordinator) return true;
    const local: Record<string, number> = {};
    for (const state of this.transports) {
      for (const p of state.producers) if (p.id !== undefined) local[p.id] = p.bot?.sent ?? 0;
    }
    let timer: NodeJS.Timeout | undefined;
    const run = await Promise.race([
      coordinator.sent(local),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(
          () => {
            resolve(undefined);
          },
          Math.max(0, deadline - performance.now()),
        );
      }),
    ]);
    clearTimeout(timer);
    this.runSent = run;
    return run !== undefined;
  }

  /** Ends the run early when nothing can send any more (every transport failed). */
  private checkActive(): void {
    if (this.pendingOpenings === 0 && this.activePumps === 0) this.stop('no-active-producers');
  }

  /** The bot of transport `state.index`: the run's Device, signal and receive checker. */
  private botFor(state: TransportState): Bot {
    state.bot ??= new Bot({
      id: `${this.runId}-${state.index}`,
      runId: this.runId,
      adapter: this.adapter,
      ...(!this.adapter.openSession && { device: this.device }),
      ...(this.config.roomSize && {
        room: `${this.config.shard?.runId ?? this.runId}-room-${Math.floor(state.index / this.config.roomSize)}`,
      }),
      connectTimeoutMs: this.config.connectTimeoutMs,
      highWaterMark: this.config.highWaterMark,
      metrics: this.metrics,
      checker: this.consumerSide.checker,
      signal: this.stopController.signal,
      onWarning: (message) => {
        this.recorder.warning(message);
      },
    });
    return state.bot;
  }

  private async openTransport(state: TransportState): Promise<void> {
    const { config } = this;
    const bot = this.botFor(state);
    const start = performance.now();
    const openBy = start + config.connectTimeoutMs;
    state.startedAt = start;
    state.status = 'connecting';
    try {
      const transport = await bot.connect({ messageSize: config.size });
      state.id = transport.id;
      transport.on('connectionstatechange', (connectionState) => {
        if (connectionState === 'failed' && !this.isStopping()) {
          this.recorder.error('transport connection failed', state.index);
        }
      });
      for (const producer of state.producers) {
        const produced = await bot.produceData({
          label: producer.label,
          protocol: config.protocol ?? 'mediasoup-data-producer-load',
          appData: { transport: state.index, producer: producer.index, ...config.appData },
          ...(config.ordered !== undefined && { ordered: config.ordered }),
          ...(config.maxRetransmits !== undefined && { maxRetransmits: config.maxRetransmits }),
          ...(config.maxPacketLifeTime !== undefined && {
            maxPacketLifeTime: config.maxPacketLifeTime,
          }),
          openBy,
        });
        producer.bot = produced;
        producer.id = produced.dataProducer.id;
        produced.dataProducer.on('error', (error) => {
          if (!this.isStopping()) {
            this.recorder.error(
              `DataProducer error: ${error.message}`,
              state.index,
              producer.index,
            );
          }
        });
        if (this.isStopping()) break;
      }
      if (this.isStopping()) {
        state.status = 'aborted';
        return;
      }
      state.connectMs = performance.now() - start;
      state.status = 'open';
      this.phase = 'sending';
      for (const producer of state.producers) {
        if (!producer.bot) continue;
        this.activePumps++;
        this.pumps.push(this.pump(state, bot, producer.bot, producer.index));
      }
    } catch (error) {
      if (error instanceof MessageTooLargeError) {
        this.messageTooLarge ??= { size: error.size, limit: error.limit };
        this.stop('fatal');
      }
      if (this.isStopping() && this.endReason !== 'fatal') {
        state.status = 'aborted';
      } else {
        state.status = 'failed';
        state.error = errorMessage(error);
        this.recorder.error(`transport did not open: ${state.error}`, state.index);
      }
    }
  }

  /** One producer of a bot sends, once the consumers are open, until the run stops. */
  private async pump(
    state: TransportState,
    bot: Bot,
    producer: BotProducer,
    index: number,
  ): Promise<void> {
    const { size, rate } = this.config;
    try {
      await Promise.race([this.sendGate, aborted(this.stopController.signal)]);
      await bot.send({ producer, rate, size });
    } catch (error) {
      const producer = state.producers[index];
      const message = errorMessage(error);
      if (producer) producer.error = message;
      this.recorder.error(message, state.index, index);
    } finally {
      this.activePumps--;
      this.checkActive();
    }
  }

  private sample(): void {
    const snap = this.snapshot();
    this.recorder.sample(epochNow(), snap.bufferedAmount, snap.openTransports);
  }

  private totalBuffered(): number {
    let total = 0;
    for (const t of this.transports) {
      for (const p of t.producers) {
        const dp = p.bot?.dataProducer;
        if (dp && !dp.closed) total += dp.bufferedAmount;
      }
    }
    return total;
  }

  /**
   * Waits until every buffer is empty and, when the adapter reports the receiving side,
   * until everything sent has arrived (or nothing more arrives for 2 s). True when complete.
   */
  private async drain(): Promise<boolean> {
    const deadline = performance.now() + this.config.drainTimeoutMs;
    while (this.totalBuffered() > 0) {
      if (this.interrupted || performance.now() > deadline) return false;
      await delay(20);
    }
    // Handed to SCTP is not yet received: without word from the receiving side, leave the
    // last packets a moment.
    const grace = async (): Promise<boolean> => {
      await delay(300);
      return true;
    };
    if (this.consuming) {
      if (!(await this.exchangeSent(deadline))) return false;
    }
    if (this.consumerSide.active) {
      const complete = await this.waitArrived(
        () => Promise.resolve(this.consumerSide.received()),
        this.consumerSide.expected(this.sentOf()),
        deadline,
      );
      if (!complete) return false;
    }
    if (!this.optional.hasReceiverStats) return grace();
    let last = -1;
    let lastChange = performance.now();
    while (!this.interrupted && performance.now() < deadline) {
      const report = await this.optional.receiverStats(2000);
      if (!report) return grace();
      if (report.messages + report.malformed >= this.recorder.sentMessages) return true;
      if (report.messages !== last) {
        last = report.messages;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 2000) {
        return false;
      }
      await delay(50);
    }
    return false;
  }

  /**
   * Polls until `arrived()` reaches `expected` (true), or it stops moving for 2 s or the
   * deadline passes (false).
   */
  private async waitArrived(
    arrived: () => Promise<number>,
    expected: number,
    deadline: number,
  ): Promise<boolean> {
    let last = -1;
    let lastChange = performance.now();
    while (!this.interrupted && performance.now() < deadline) {
      const n = await arrived();
      if (n >= expected) return true;
      if (n !== last) {
        last = n;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 2000) {
        return false;
      }
      await delay(50);
    }
    return false;
  }

  /** Closes every bot: its transports here, and on the server when the adapter can. */
  private async closeAll(): Promise<void> {
    await Promise.all(
      this.transports.map(async (state) => {
        await state.bot?.close({ lossless: !this.interrupted });
        if (state.status === 'open') state.status = 'closed';
      }),
    );
  }
}

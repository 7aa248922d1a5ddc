// The load engine: opens the transports (all at once, or spread over the ramp-up), makes
// each producer send numbered, timestamped messages, paced on bufferedAmount and an
// optional rate, until the duration is over or it is interrupted; then waits for the
// buffers (and, when the adapter can tell, the receiving side) to drain and closes
// everything.

import { setMaxListeners } from 'node:events';

import { Device, type DataProducer, type Transport } from 'mediasoup-data-producer';

import type { SignalingAdapter, WebRtcTransportParameters } from '../adapter.js';
import { errorMessage } from '../errors.js';
import { signalThrough } from '../signalThrough.js';
import { encodeMessage, epochNow } from '../message.js';
import type { ReceiverReport } from '../receiver.js';
import {
  abortableSleep,
  aborted,
  delay,
  settleWithin,
  withTimeout,
  yieldToEventLoop,
} from './async.js';
import { ConsumerSide } from './consumerSide.js';
import { consumedBots } from './fanOut.js';
import { checkMessageSize } from './messageSize.js';
import { sendBudget } from './pacing.js';
import { waitLow, waitOpen } from './producerWaits.js';
import { OptionalCalls } from './optionalCalls.js';
import { RunRecorder } from './runRecorder.js';
import {
  newTransportState,
  transportResult,
  type ProducerState,
  type TransportState,
} from './transportState.js';
import type {
  EndReason,
  EngineResult,
  LoadConfig,
  MessageSizeProblem,
  Phase,
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
  private readonly lowThreshold: number;
  private readonly consumerSide: ConsumerSide;
  /** Producers send once it resolves: at once, or once every consumer is open. */
  private readonly sendGate: Promise<void>;
  private openSendGate: () => void = () => undefined;

  /** Throws ConsumeNotSupportedError when asked to consume through an adapter that cannot. */
  constructor(
    private readonly adapter: SignalingAdapter,
    private readonly config: LoadConfig,
    readonly runId: string,
  ) {
    this.recorder = new RunRecorder(runId, this.t0);
    this.lowThreshold = Math.floor(config.highWaterMark / 2);
    // Every waiting producer listens to it.
    setMaxListeners(0, this.stopController.signal);
    this.transports = Array.from({ length: config.transports }, (_, index) =>
      newTransportState(index, config.producers),
    );
    this.optional = new OptionalCalls(adapter, runId, this.recorder);
    const plan = consumedBots(config.transports, {
      consumers: config.consumers ?? 0,
      roomSize: config.roomSize ?? 0,
    });
    this.consumerSide = new ConsumerSide(adapter, runId, plan, config.size, (message, bot) => {
      this.recorder.error(message, bot);
    });
    this.sendGate = this.consumerSide.active
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
        const dp = p.dataProducer;
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
        const routerRtpCapabilities = await this.adapter.getRouterRtpCapabilities();
        await this.device.load({ routerRtpCapabilities });
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
          if (this.consumerSide.active) void this.openConsumers();
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
      ...(this.consumerSide.active && { consumers: this.consumerSide.result() }),
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
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
    const { transports, rampUpMs } = this.config;
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
    await this.consumerSide.open(this.device, this.transports, this.config.connectTimeoutMs);
    this.openSendGate();
  }

  /** Ends the run early when nothing can send any more (every transport failed). */
  private checkActive(): void {
    if (this.pendingOpenings === 0 && this.activePumps === 0) this.stop('no-active-producers');
  }

  private async openTransport(state: TransportState): Promise<void> {
    const { adapter, config } = this;
    const start = performance.now();
    const openBy = start + config.connectTimeoutMs;
    state.startedAt = start;
    state.status = 'connecting';
    let transport: Transport | undefined;
    try {
      const creating = adapter.createWebRtcTransport({
        sctpCapabilities: this.device.sctpCapabilities,
      });
      let params: WebRtcTransportParameters;
      try {
        params = await withTimeout(creating, config.connectTimeoutMs, 'createWebRtcTransport');
      } catch (error) {
        // The app may still answer, and then its server holds a transport nobody uses. A
        // later failure adds nothing to the timeout already reported.
        creating.then(
          (late) => {
            state.id ??= late.id;
            this.closeOnServer(state);
          },
          () => undefined,
        );
        throw error;
      }
      state.id = params.id;
      if (this.isStopping()) {
        state.status = 'aborted';
        // The run may have given up on this opening and closed everything already.
        this.closeOnServer(state);
        return;
      }
      const tooLarge = checkMessageSize(config.size, params.sctpParameters);
      if (tooLarge) {
        this.messageTooLarge ??= { size: tooLarge.size, limit: tooLarge.limit };
        this.stop('fatal');
        throw tooLarge;
      }
      transport = this.device.createSendTransport({
        ...params,
        signalingTimeout: config.connectTimeoutMs,
        appData: { index: state.index },
      });
      state.transport = transport;
      signalThrough(transport, adapter);
      transport.on('connectionstatechange', (connectionState) => {
        if (connectionState === 'failed' && !this.isStopping()) {
          this.recorder.error('transport connection failed', state.index);
        }
      });
      for (const producer of state.producers) {
        const dataProducer = await transport.produceData({
          label: producer.label,
          protocol: 'mediasoup-data-producer-load',
          appData: { mdpRunId: this.runId, transport: state.index, producer: producer.index },
          // send() must never refuse below the high-water mark (the default is 16 MiB).
          maxBufferedAmount: Math.max(16 * 1024 * 1024, config.highWaterMark + config.size),
          ...(config.ordered !== undefined && { ordered: config.ordered }),
          ...(config.maxRetransmits !== undefined && { maxRetransmits: config.maxRetransmits }),
          ...(config.maxPacketLifeTime !== undefined && {
            maxPacketLifeTime: config.maxPacketLifeTime,
          }),
        });
        producer.dataProducer = dataProducer;
        producer.id = dataProducer.id;
        dataProducer.on('error', (error) => {
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
      for (const producer of state.producers) {
        if (this.isStopping()) break;
        if (producer.dataProducer) {
          await waitOpen(
            producer.dataProducer,
            openBy - performance.now(),
            this.stopController.signal,
          );
        }
      }
      if (this.isStopping()) {
        state.status = 'aborted';
        return;
      }
      state.connectMs = performance.now() - start;
      state.status = 'open';
      this.phase = 'sending';
      for (const producer of state.producers) {
        if (!producer.dataProducer) continue;
        this.activePumps++;
        this.pumps.push(this.pump(state, producer, producer.dataProducer));
      }
    } catch (error) {
      transport?.close();
      if (this.isStopping() && this.endReason !== 'fatal') {
        state.status = 'aborted';
      } else {
        state.status = 'failed';
        state.error = errorMessage(error);
        this.recorder.error(`transport did not open: ${state.error}`, state.index);
      }
    }
  }

  private async pump(
    state: TransportState,
    producer: ProducerState,
    dataProducer: DataProducer,
  ): Promise<void> {
    const { size, rate, highWaterMark } = this.config;
    const signal = this.stopController.signal;
    try {
      dataProducer.bufferedAmountLowThreshold = this.lowThreshold;
      await Promise.race([this.sendGate, aborted(signal)]);
      const startedAt = performance.now();
      while (!this.isStopping()) {
        if (dataProducer.closed) {
          throw new Error(
            `DataProducer closed while sending (transport ${state.transport?.connectionState ?? 'gone'})`,
          );
        }
        const budget = sendBudget(rate, startedAt, producer.sent, performance.now());
        if ('waitMs' in budget) {
          await abortableSleep(budget.waitMs, signal);
          continue;
        }
        let n = 0;
        while (n < budget.send && dataProducer.bufferedAmount < highWaterMark) {
          const sentAt = epochNow();
          dataProducer.send(encodeMessage(size, producer.sent, sentAt));
          producer.sent++;
          producer.bytes += size;
          this.recorder.countSent(sentAt, size);
          n++;
        }
        // Full buffer: wait for it to drain. Otherwise let timers and I/O run before the
        // next burst, whatever the rate (the end of the run is a timer too).
        if (n < budget.send) await waitLow(dataProducer, this.lowThreshold, signal);
        else await yieldToEventLoop();
      }
    } catch (error) {
      producer.error = errorMessage(error);
      this.recorder.error(producer.error, state.index, producer.index);
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
        const dp = p.dataProducer;
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
    if (this.consumerSide.active) {
      const complete = await this.waitArrived(
        () => Promise.resolve(this.consumerSide.received()),
        this.consumerSide.expected(),
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

  /** Closes every transport here, and on the server when the adapter can. */
  private async closeAll(): Promise<void> {
    this.consumerSide.close();
    for (const state of this.transports) {
      const transport = state.transport;
      if (transport && !transport.closed) transport.close();
      if (state.status === 'open') state.status = 'closed';
      this.closeOnServer(state);
    }
    await Promise.all([
      this.optional.closingsSettled(3000),
      settleWithin(this.consumerSide.closingsSettled(), 3000),
    ]);
  }

  /** Asks the app's server, once, to close the transport it made for this state. */
  private closeOnServer(state: TransportState): void {
    if (state.id === undefined || state.serverClosed) return;
    state.serverClosed = this.optional.closeTransport(state.id);
  }
}

// The load engine: opens the transports (all at once, or spread over the ramp-up), makes
// each producer send numbered, timestamped messages, paced on bufferedAmount and an
// optional rate, until the duration is over or it is interrupted; then waits for the
// buffers (and, when the adapter can tell, the receiving side) to drain and closes
// everything.

import { setMaxListeners } from 'node:events';

import { Device, type DataProducer, type Transport } from 'mediasoup-data-producer';

import type { SignalingAdapter, WebRtcTransportParameters } from './adapter.js';
import { errorMessage, NotSupportedError } from './errors.js';
import { Logger } from './logger.js';
import { encodeMessage, epochNow } from './message.js';
import { sizeLimitError } from './options.js';
import type { ReceiverReport } from './receiver.js';

const logger = new Logger('engine');

export interface LoadConfig {
  transports: number;
  /** DataProducers per transport. */
  producers: number;
  /** Bytes per message (at least 16). */
  size: number;
  /** Messages per second per producer; 0 = as fast as backpressure allows. */
  rate: number;
  durationMs: number;
  /** Transport i starts connecting at i × rampUpMs / transports. */
  rampUpMs: number;
  /** undefined: the library's default (ordered unless partially reliable). */
  ordered: boolean | undefined;
  maxRetransmits: number | undefined;
  maxPacketLifeTime: number | undefined;
  /** A producer sends while its bufferedAmount is below this, then waits for bufferedamountlow. */
  highWaterMark: number;
  /** Time a transport may take from createWebRtcTransport to every producer open. */
  connectTimeoutMs: number;
  /** Time the end of the run may wait for buffers and the receiving side. */
  drainTimeoutMs: number;
}

export type Phase = 'starting' | 'connecting' | 'sending' | 'draining' | 'closing' | 'done';

export type EndReason = 'duration' | 'interrupted' | 'no-active-producers' | 'fatal';

export interface Snapshot {
  phase: Phase;
  elapsedMs: number;
  durationMs: number;
  sentMessages: number;
  sentBytes: number;
  openTransports: number;
  failedTransports: number;
  totalTransports: number;
  bufferedAmount: number;
  errors: number;
}

export interface RunError {
  /** Milliseconds since the start. */
  atMs: number;
  transport?: number;
  producer?: number;
  message: string;
}

export type TransportStatus = 'pending' | 'connecting' | 'open' | 'failed' | 'aborted' | 'closed';

export interface ProducerResult {
  index: number;
  id: string | undefined;
  label: string;
  sent: number;
  bytes: number;
  error: string | undefined;
}

export interface TransportResult {
  index: number;
  id: string | undefined;
  status: TransportStatus;
  connectMs: number | undefined;
  error: string | undefined;
  producers: ProducerResult[];
}

export interface SecondSample {
  /** Epoch second. */
  second: number;
  sentMessages: number;
  sentBytes: number;
  /** Largest total bufferedAmount sampled in that second. */
  bufferedAmount: number;
  openTransports: number;
}

export interface EngineResult {
  runId: string;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number;
  endReason: EndReason;
  interrupted: boolean;
  /** Epoch ms of the first message sent, and of the end of sending. */
  sendStartedAt: number | undefined;
  sendEndedAt: number | undefined;
  /** Whether the end waited for buffers and the receiving side (not after an interrupt). */
  drained: boolean;
  sentMessages: number;
  sentBytes: number;
  maxBufferedAmount: number;
  transports: TransportResult[];
  timeline: SecondSample[];
  receiver: ReceiverReport | undefined;
  clientCpuSeconds: number;
  workerCpuSeconds: number | undefined;
  errors: RunError[];
  errorCount: number;
  /**
   * What went wrong without making the figures wrong: an optional adapter method that
   * failed (receiver figures, worker CPU, closing a transport on the server). Identical
   * messages are given once, with a count.
   */
  warnings: string[];
}

interface ProducerState extends ProducerResult {
  transportIndex: number;
  dataProducer: DataProducer | undefined;
}

interface TransportState {
  index: number;
  id: string | undefined;
  status: TransportStatus;
  transport: Transport | undefined;
  startedAt: number | undefined;
  connectMs: number | undefined;
  error: string | undefined;
  producers: ProducerState[];
  serverClosed: boolean;
}

const MAX_KEPT_ERRORS = 200;
/** Messages a producer sends before it lets the event loop run (unlimited rate). */
const BURST = 64;

export class LoadEngine {
  private readonly device = new Device();
  private readonly transports: TransportState[];
  private readonly stopController = new AbortController();
  private phase: Phase = 'starting';
  private t0 = performance.now();
  private startedAt = epochNow();
  private endReason: EndReason = 'duration';
  private interrupted = false;
  private sendStartedAt: number | undefined;
  private sendEndedAt: number | undefined;
  private sentMessages = 0;
  private sentBytes = 0;
  private maxBufferedAmount = 0;
  private readonly seconds = new Map<number, SecondSample>();
  private currentSecond: SecondSample | undefined;
  private readonly errors: RunError[] = [];
  private errorCount = 0;
  private readonly warnings = new Map<string, number>();
  private readonly serverClosings: Promise<void>[] = [];
  private activePumps = 0;
  private pendingOpenings = 0;
  private readonly pumps: Promise<void>[] = [];
  private readonly openings: Promise<void>[] = [];
  private readonly lowThreshold: number;

  constructor(
    private readonly adapter: SignalingAdapter,
    private readonly config: LoadConfig,
    readonly runId: string,
  ) {
    this.lowThreshold = Math.floor(config.highWaterMark / 2);
    // Every waiting producer listens to it.
    setMaxListeners(0, this.stopController.signal);
    this.transports = Array.from({ length: config.transports }, (_, index) => ({
      index,
      id: undefined,
      status: 'pending',
      transport: undefined,
      startedAt: undefined,
      connectMs: undefined,
      error: undefined,
      serverClosed: false,
      producers: Array.from({ length: config.producers }, (_unused, p) => ({
        index: p,
        transportIndex: index,
        id: undefined,
        label: `mdp-${index}-${p}`,
        sent: 0,
        bytes: 0,
        error: undefined,
        dataProducer: undefined,
      })),
    }));
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
    if (buffered > this.maxBufferedAmount) this.maxBufferedAmount = buffered;
    return {
      phase: this.phase,
      elapsedMs: performance.now() - this.t0,
      durationMs: this.config.durationMs,
      sentMessages: this.sentMessages,
      sentBytes: this.sentBytes,
      openTransports: open,
      failedTransports: failed,
      totalTransports: this.transports.length,
      bufferedAmount: buffered,
      errors: this.errorCount,
    };
  }

  async run(): Promise<EngineResult> {
    const cpuStart = process.cpuUsage();
    const workerCpuStart = await this.workerCpu();
    this.t0 = performance.now();
    this.startedAt = epochNow();
    const sampler = setInterval(() => {
      this.sample();
    }, 250);
    let drained = false;
    let receiver: ReceiverReport | undefined;
    try {
      try {
        const routerRtpCapabilities = await this.adapter.getRouterRtpCapabilities();
        await this.device.load({
          routerRtpCapabilities: routerRtpCapabilities as Record<string, unknown>,
        });
      } catch (error) {
        this.recordError(`getRouterRtpCapabilities failed: ${errorMessage(error)}`);
        this.stop('fatal');
      }
      if (!this.isStopping()) {
        this.phase = 'connecting';
        const deadline = setTimeout(() => {
          this.stop('duration');
        }, this.config.durationMs);
        try {
          this.startOpenings();
          await this.stopped();
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
      receiver = await this.receiverStats(this.interrupted ? 2000 : 5000);
    } finally {
      clearInterval(sampler);
      this.sample();
      this.phase = 'closing';
      await this.closeAll();
    }
    const cpu = process.cpuUsage(cpuStart);
    const workerCpuEnd = workerCpuStart === undefined ? undefined : await this.workerCpu();
    this.phase = 'done';
    return {
      runId: this.runId,
      startedAt: this.startedAt,
      endedAt: epochNow(),
      endReason: this.endReason,
      interrupted: this.interrupted,
      sendStartedAt: this.sendStartedAt,
      sendEndedAt: this.sendStartedAt === undefined ? undefined : this.sendEndedAt,
      drained,
      sentMessages: this.sentMessages,
      sentBytes: this.sentBytes,
      maxBufferedAmount: this.maxBufferedAmount,
      transports: this.transports.map((t) => ({
        index: t.index,
        id: t.id,
        status: t.status,
        connectMs: t.connectMs,
        error: t.error,
        producers: t.producers.map((p) => ({
          index: p.index,
          id: p.id,
          label: p.label,
          sent: p.sent,
          bytes: p.bytes,
          error: p.error,
        })),
      })),
      timeline: [...this.seconds.values()].sort((a, b) => a.second - b.second),
      receiver,
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      workerCpuSeconds:
        workerCpuStart === undefined || workerCpuEnd === undefined
          ? undefined
          : workerCpuEnd - workerCpuStart,
      errors: this.errors,
      errorCount: this.errorCount,
      warnings: [...this.warnings].map(([message, count]) =>
        count === 1 ? message : `${message} (${count} times)`,
      ),
    };
  }

  private stop(reason: EndReason): void {
    if (this.isStopping()) return;
    this.endReason = reason;
    this.stopController.abort();
  }

  private stopped(): Promise<void> {
    const signal = this.stopController.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Resolves after ms, or at once when the run stops. */
  private sleep(ms: number): Promise<void> {
    const signal = this.stopController.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private startOpenings(): void {
    const { transports, rampUpMs } = this.config;
    for (const state of this.transports) {
      this.pendingOpenings++;
      const delay = (rampUpMs * state.index) / transports;
      const opening = (async () => {
        if (delay > 0) await this.sleep(delay);
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
      const tooLarge = sizeLimitError(config.size, params.sctpParameters);
      if (tooLarge !== undefined) {
        this.stop('fatal');
        throw new Error(tooLarge);
      }
      transport = this.device.createSendTransport({
        ...params,
        signalingTimeout: config.connectTimeoutMs,
        appData: { index: state.index },
      });
      state.transport = transport;
      const transportId = transport.id;
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        adapter.connectWebRtcTransport({ transportId, dtlsParameters }).then(callback, errback);
      });
      transport.on('producedata', (parameters, callback, errback) => {
        adapter
          .produceData({
            transportId,
            sctpStreamParameters: parameters.sctpStreamParameters,
            label: parameters.label,
            protocol: parameters.protocol,
            appData: parameters.appData,
          })
          .then(({ id }) => {
            callback({ id });
          }, errback);
      });
      transport.on('connectionstatechange', (connectionState) => {
        if (connectionState === 'failed' && !this.isStopping()) {
          this.recordError('transport connection failed', state.index);
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
            this.recordError(`DataProducer error: ${error.message}`, state.index, producer.index);
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
        this.recordError(`transport did not open: ${state.error}`, state.index);
      }
    }
  }

  private async pump(
    state: TransportState,
    producer: ProducerState,
    dataProducer: DataProducer,
  ): Promise<void> {
    const { size, rate, highWaterMark } = this.config;
    try {
      dataProducer.bufferedAmountLowThreshold = this.lowThreshold;
      const startedAt = performance.now();
      const interval = rate > 0 ? 1000 / rate : 0;
      while (!this.isStopping()) {
        if (dataProducer.closed) {
          throw new Error(
            `DataProducer closed while sending (transport ${state.transport?.connectionState ?? 'gone'})`,
          );
        }
        let budget = BURST;
        if (rate > 0) {
          const due = Math.floor((performance.now() - startedAt) / interval) + 1 - producer.sent;
          if (due <= 0) {
            await this.sleep(startedAt + producer.sent * interval - performance.now());
            continue;
          }
          budget = Math.min(due, BURST);
        }
        let n = 0;
        while (n < budget && dataProducer.bufferedAmount < highWaterMark) {
          const sentAt = epochNow();
          dataProducer.send(encodeMessage(size, producer.sent, sentAt));
          producer.sent++;
          producer.bytes += size;
          this.countSent(sentAt, size);
          n++;
        }
        // Full buffer: wait for it to drain. Otherwise let timers and I/O run before the
        // next burst, whatever the rate (the end of the run is a timer too).
        if (n < budget) await this.waitLow(dataProducer);
        else await yieldToEventLoop();
      }
    } catch (error) {
      producer.error = errorMessage(error);
      this.recordError(producer.error, state.index, producer.index);
    } finally {
      this.activePumps--;
      this.checkActive();
    }
  }

  /** Waits for bufferedamountlow (or close, or the end of the run); polls as a safety net. */
  private waitLow(dataProducer: DataProducer): Promise<void> {
    const signal = this.stopController.signal;
    const threshold = this.lowThreshold;
    return new Promise((resolve) => {
      if (signal.aborted || dataProducer.closed || dataProducer.bufferedAmount <= threshold) {
        resolve();
        return;
      }
      const done = (): void => {
        clearInterval(poll);
        dataProducer.off('bufferedamountlow', done);
        dataProducer.off('close', done);
        dataProducer.off('transportclose', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const poll = setInterval(() => {
        if (dataProducer.closed || dataProducer.bufferedAmount <= threshold) done();
      }, 100);
      dataProducer.on('bufferedamountlow', done);
      dataProducer.on('close', done);
      dataProducer.on('transportclose', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private countSent(sentAt: number, size: number): void {
    this.sentMessages++;
    this.sentBytes += size;
    this.sendStartedAt ??= sentAt;
    const second = Math.floor(sentAt / 1000);
    let bucket = this.currentSecond;
    if (bucket?.second !== second) {
      bucket = this.bucket(second);
      this.currentSecond = bucket;
    }
    bucket.sentMessages++;
    bucket.sentBytes += size;
  }

  private bucket(second: number): SecondSample {
    let bucket = this.seconds.get(second);
    if (!bucket) {
      bucket = { second, sentMessages: 0, sentBytes: 0, bufferedAmount: 0, openTransports: 0 };
      this.seconds.set(second, bucket);
    }
    return bucket;
  }

  private sample(): void {
    const snap = this.snapshot();
    const bucket = this.bucket(Math.floor(epochNow() / 1000));
    bucket.bufferedAmount = Math.max(bucket.bufferedAmount, snap.bufferedAmount);
    bucket.openTransports = Math.max(bucket.openTransports, snap.openTransports);
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
    if (!this.adapter.getReceiverStats) return grace();
    let last = -1;
    let lastChange = performance.now();
    while (!this.interrupted && performance.now() < deadline) {
      const report = await this.receiverStats(2000);
      if (!report) return grace();
      if (report.messages + report.malformed >= this.sentMessages) return true;
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

  private async receiverStats(timeoutMs: number): Promise<ReceiverReport | undefined> {
    if (!this.adapter.getReceiverStats) return undefined;
    try {
      return await withTimeout(
        this.adapter.getReceiverStats({ runId: this.runId }),
        timeoutMs,
        'getReceiverStats',
      );
    } catch (error) {
      if (!(error instanceof NotSupportedError)) {
        this.recordWarning(`getReceiverStats failed: ${errorMessage(error)}`);
      }
      return undefined;
    }
  }

  private async workerCpu(): Promise<number | undefined> {
    if (!this.adapter.workerCpuSeconds) return undefined;
    try {
      const seconds = await withTimeout(this.adapter.workerCpuSeconds(), 2000, 'workerCpuSeconds');
      if (typeof seconds === 'number' && Number.isFinite(seconds)) return seconds;
      this.recordWarning(
        `workerCpuSeconds answered ${JSON.stringify(seconds)}, expected a number of seconds`,
      );
    } catch (error) {
      if (!(error instanceof NotSupportedError)) {
        this.recordWarning(`workerCpuSeconds failed: ${errorMessage(error)}`);
      }
    }
    return undefined;
  }

  /** Closes every transport here, and on the server when the adapter can. */
  private async closeAll(): Promise<void> {
    for (const state of this.transports) {
      const transport = state.transport;
      if (transport && !transport.closed) transport.close();
      if (state.status === 'open') state.status = 'closed';
      this.closeOnServer(state);
    }
    await settleWithin(Promise.all(this.serverClosings), 3000);
  }

  /** Asks the app's server, once, to close the transport it made for this state. */
  private closeOnServer(state: TransportState): void {
    const { adapter } = this;
    const transportId = state.id;
    if (transportId === undefined || state.serverClosed || !adapter.closeTransport) return;
    state.serverClosed = true;
    // async: an adapter method that throws instead of rejecting is handled the same way.
    const closing = (async () => {
      await adapter.closeTransport?.({ transportId });
    })();
    this.serverClosings.push(
      closing.catch((error: unknown) => {
        if (!(error instanceof NotSupportedError)) {
          this.recordWarning(`closeTransport failed: ${errorMessage(error)}`);
        }
      }),
    );
  }

  /** After the run has returned its result, the debug log is the only place left to tell. */
  private recordWarning(message: string): void {
    logger.warn('run %s: %s', this.runId, message);
    const count = this.warnings.get(message);
    if (count !== undefined) this.warnings.set(message, count + 1);
    else if (this.warnings.size < MAX_KEPT_ERRORS) this.warnings.set(message, 1);
  }

  private recordError(message: string, transport?: number, producer?: number): void {
    this.errorCount++;
    if (this.errors.length >= MAX_KEPT_ERRORS) return;
    this.errors.push({
      atMs: Math.round(performance.now() - this.t0),
      ...(transport !== undefined && { transport }),
      ...(producer !== undefined && { producer }),
      message,
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits for the promise at most ms; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${what} was not answered within ${Math.round(ms)} ms`));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

function waitOpen(dataProducer: DataProducer, ms: number, signal: AbortSignal): Promise<void> {
  if (dataProducer.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      dataProducer.off('open', onOpen);
      dataProducer.off('error', onError);
      dataProducer.off('close', onClose);
      dataProducer.off('transportclose', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onOpen = (): void => {
      finish();
    };
    const onError = (error: Error): void => {
      finish(error);
    };
    const onClose = (): void => {
      finish(new Error('DataProducer closed before it opened'));
    };
    const onAbort = (): void => {
      finish();
    };
    const timer = setTimeout(
      () => {
        finish(new Error(`DataProducer did not open within the connect timeout`));
      },
      Math.max(0, ms),
    );
    dataProducer.on('open', onOpen);
    dataProducer.on('error', onError);
    dataProducer.on('close', onClose);
    dataProducer.on('transportclose', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

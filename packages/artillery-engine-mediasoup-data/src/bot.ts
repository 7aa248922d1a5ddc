// One virtual user: a Device, a send transport through the signaling adapter, its
// DataProducers. Every step either completes or rejects with a BotError whose `kind` the
// engine reports; close() releases everything the bot opened, whatever happened before.

import { Device, type DataProducer, type Transport } from 'mediasoup-data-producer';
import { encodeMessage, type SignalingAdapter } from 'mediasoup-data-producer-cli';

import type { EngineConfig, ProduceDataStep, SendStep } from './config.js';
import { COUNTERS, ERRORS, HISTOGRAMS, type MetricsEmitter } from './metrics.js';

/** A step failed: `kind` is the error Artillery counts (`errors.<kind>`). */
export class BotError extends Error {
  override name = 'BotError';
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Renders a payload template for message `seq` (Artillery's helpers.template). */
export type PayloadRenderer = (template: string, seq: number) => string;

/** How long close() waits for the adapter's closeTransport and close. */
const CLOSE_TIMEOUT_MS = 5000;

/** Resolves with the promise's value, or undefined after `ms` (then the promise is left alone). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throws when the producer closed (a function: the compiler cannot see it close meanwhile). */
function checkOpen(producer: DataProducer): void {
  if (producer.closed) throw new BotError(ERRORS.send, 'send: the DataProducer closed');
}

interface ProducerEntry {
  producer: DataProducer;
  seq: number;
}

export class Bot {
  private device: Device | undefined;
  private transport: Transport | undefined;
  private transportId: string | undefined;
  private readonly producers = new Map<string, ProducerEntry>();
  private latest: ProducerEntry | undefined;
  /** For connect_time: the signaling part of the connect step, until its first open. */
  private connectSignalingMs: number | undefined;
  /** A failure seen between steps (the transport's connection failed), reported by the next. */
  private failure: BotError | undefined;
  private closed = false;
  /** closeTransport requests for transports answered after connect gave up on them. */
  private readonly lateCleanups: Promise<unknown>[] = [];

  constructor(
    readonly id: string,
    /** The run's id (Artillery's test run id), given to the app as appData.mdpRunId. */
    private readonly runId: string,
    private readonly adapter: SignalingAdapter,
    /** False for an adapter object shared by every bot of the worker: close() leaves it open. */
    private readonly ownsAdapter: boolean,
    private readonly config: EngineConfig,
    private readonly ee: MetricsEmitter,
  ) {}

  /** The transport's id while connected, for tests and processor functions. */
  get connectedTransportId(): string | undefined {
    return this.transportId;
  }

  private check(): void {
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  async connect(timeoutMs: number = this.config.connectTimeoutMs): Promise<void> {
    this.check();
    if (this.transport && !this.transport.closed) {
      throw new BotError(ERRORS.scenario, 'connect: this bot is connected already (close first)');
    }
    const start = performance.now();
    const adapter = this.adapter;
    let params: Awaited<ReturnType<SignalingAdapter['createWebRtcTransport']>>;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no transport within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      if (!this.device) {
        const device = new Device();
        await Promise.race([
          adapter
            .getRouterRtpCapabilities()
            .then((routerRtpCapabilities) =>
              device.load({ routerRtpCapabilities: routerRtpCapabilities as never }),
            ),
          deadline,
        ]);
        this.device = device;
      }
      const device = this.device;
      const request = adapter.createWebRtcTransport({ sctpCapabilities: device.sctpCapabilities });
      params = await Promise.race([request, deadline]).catch((error: unknown) => {
        // Answered after we gave up: close it on the server.
        this.lateCleanups.push(
          request.then(
            ({ id }) => adapter.closeTransport?.({ transportId: id }),
            () => undefined,
          ),
        );
        throw error;
      });
    } catch (error) {
      this.ee.emit('counter', COUNTERS.transportsFailed, 1);
      throw new BotError(ERRORS.connect, `connect: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
    this.transportId = params.id;
    if (this.closed) {
      void adapter.closeTransport?.({ transportId: params.id }).catch(() => undefined);
      throw new BotError(ERRORS.scenario, 'connect: the bot closed meanwhile');
    }
    const transport = this.device.createSendTransport({
      ...params,
      signalingTimeout: timeoutMs,
      appData: { botId: this.id },
    });
    this.transport = transport;
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
    let opened = false;
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected' && !opened) {
        opened = true;
        this.ee.emit('counter', COUNTERS.transportsOpened, 1);
      } else if (state === 'failed' && !this.closed && this.transport === transport) {
        this.ee.emit('counter', COUNTERS.transportsFailed, 1);
        this.failure ??= new BotError(ERRORS.transport, 'the transport connection failed');
      }
    });
    this.connectSignalingMs = performance.now() - start;
  }

  async produceData(step: ProduceDataStep): Promise<void> {
    this.check();
    const transport = this.transport;
    if (!transport || transport.closed) {
      throw new BotError(ERRORS.scenario, 'produceData: no transport (add a connect step before)');
    }
    const start = performance.now();
    let producer: DataProducer;
    try {
      producer = await transport.produceData({
        label: step.label,
        protocol: step.protocol,
        appData: {
          mdpRunId: this.runId,
          botId: this.id,
          transport: 0,
          producer: this.producers.size,
        },
        maxBufferedAmount: Math.max(16 * 1024 * 1024, 2 * this.config.highWaterMark),
        ...(step.ordered !== undefined && { ordered: step.ordered }),
        ...(step.maxRetransmits !== undefined && { maxRetransmits: step.maxRetransmits }),
        ...(step.maxPacketLifeTime !== undefined && {
          maxPacketLifeTime: step.maxPacketLifeTime,
        }),
      });
    } catch (error) {
      this.countConnectFailure();
      throw new BotError(ERRORS.produce, `produceData: ${messageOf(error)}`);
    }
    producer.bufferedAmountLowThreshold = Math.floor(this.config.highWaterMark / 2);
    const entry: ProducerEntry = { producer, seq: 0 };
    this.producers.set(step.label, entry);
    this.latest = entry;
    await this.waitOpen(producer, start);
    this.ee.emit('counter', COUNTERS.producersOpened, 1);
    if (this.connectSignalingMs !== undefined) {
      this.ee.emit(
        'histogram',
        HISTOGRAMS.connectTime,
        this.connectSignalingMs + (performance.now() - start),
      );
      this.connectSignalingMs = undefined;
    }
  }

  /** A transport that never got a producer open counts as failed once. */
  private countConnectFailure(): void {
    if (this.connectSignalingMs !== undefined) {
      this.connectSignalingMs = undefined;
      this.ee.emit('counter', COUNTERS.transportsFailed, 1);
    }
  }

  private waitOpen(producer: DataProducer, start: number): Promise<void> {
    if (producer.readyState === 'open') return Promise.resolve();
    const timeoutMs = this.config.connectTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const done = (error?: BotError): void => {
        clearTimeout(timer);
        producer.off('open', onOpen);
        producer.off('error', onError);
        producer.off('close', onClose);
        producer.off('transportclose', onClose);
        if (error) {
          this.countConnectFailure();
          reject(error);
        } else resolve();
      };
      const onOpen = (): void => {
        done();
      };
      const onError = (error: Error): void => {
        done(new BotError(ERRORS.produce, `produceData: ${error.message}`));
      };
      const onClose = (): void => {
        done(
          this.failure ??
            new BotError(ERRORS.produce, 'produceData: the DataProducer closed before it opened'),
        );
        this.failure = undefined;
      };
      const timer = setTimeout(() => {
        done(
          new BotError(
            ERRORS.openTimeout,
            `produceData: not open ${Math.round(performance.now() - start)} ms after the request (connectTimeout ${timeoutMs} ms)`,
          ),
        );
      }, timeoutMs);
      producer.on('open', onOpen);
      producer.on('error', onError);
      producer.on('close', onClose);
      producer.on('transportclose', onClose);
    });
  }

  async send(step: SendStep, render: PayloadRenderer): Promise<void> {
    this.check();
    const entry = step.label === undefined ? this.latest : this.producers.get(step.label);
    if (!entry) {
      throw new BotError(
        ERRORS.scenario,
        step.label === undefined
          ? 'send: no DataProducer (add a produceData step before)'
          : `send: no DataProducer labelled ${JSON.stringify(step.label)}`,
      );
    }
    const { producer } = entry;
    const highWaterMark = this.config.highWaterMark;
    const interval = step.rate === undefined ? 0 : 1000 / step.rate;
    const start = performance.now();
    const deadline = step.durationMs === undefined ? Infinity : start + step.durationMs;
    let next = start;
    let sent = 0;
    let pendingMessages = 0;
    let pendingBytes = 0;
    let lastFlush = start;
    let lastSample = -Infinity;
    const flush = (): void => {
      if (pendingMessages > 0) {
        this.ee.emit('counter', COUNTERS.messagesSent, pendingMessages);
        this.ee.emit('counter', COUNTERS.bytesSent, pendingBytes);
        pendingMessages = 0;
        pendingBytes = 0;
      }
      lastFlush = performance.now();
    };
    try {
      while (step.count === undefined || sent < step.count) {
        if (performance.now() >= deadline) break;
        this.check();
        checkOpen(producer);
        if (producer.bufferedAmount >= highWaterMark) {
          flush();
          await this.waitLow(producer);
          continue;
        }
        if (interval > 0) {
          const wait = next - performance.now();
          if (wait > 0) {
            flush();
            if (performance.now() + wait >= deadline) {
              await sleep(deadline - performance.now());
              break;
            }
            await sleep(wait);
          }
          next += interval;
          this.check();
          checkOpen(producer);
        } else if (sent % 256 === 255) {
          // As fast as the buffer allows, yet let the other bots of this worker run.
          flush();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const seq = entry.seq;
        let message: string | Buffer;
        if (step.payload === undefined) {
          message = encodeMessage(step.size, seq);
        } else {
          const text = render(step.payload, seq);
          message = step.binary ? Buffer.from(text, 'utf8') : text;
        }
        try {
          producer.send(message);
        } catch (error) {
          throw new BotError(ERRORS.send, `send: ${messageOf(error)}`);
        }
        entry.seq++;
        sent++;
        pendingMessages++;
        pendingBytes += typeof message === 'string' ? Buffer.byteLength(message) : message.length;
        const now = performance.now();
        if (now - lastSample >= 1000) {
          lastSample = now;
          this.ee.emit('histogram', HISTOGRAMS.bufferedAmount, producer.bufferedAmount);
        }
        if (now - lastFlush >= 1000) flush();
      }
    } finally {
      flush();
    }
  }

  private waitLow(producer: DataProducer): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearInterval(poll);
        producer.off('bufferedamountlow', done);
        producer.off('close', done);
        producer.off('transportclose', done);
        resolve();
      };
      // The event, or a look every 100 ms in case the threshold was crossed meanwhile.
      const poll = setInterval(() => {
        if (producer.closed || producer.bufferedAmount < this.config.highWaterMark) done();
      }, 100);
      producer.on('bufferedamountlow', done);
      producer.on('close', done);
      producer.on('transportclose', done);
    });
  }

  /** Closes the producers and the transport, here and on the server. Keeps the Device. */
  async closeTransport(): Promise<void> {
    this.countConnectFailure();
    for (const { producer } of this.producers.values()) producer.close();
    this.producers.clear();
    this.latest = undefined;
    const transport = this.transport;
    const transportId = this.transportId;
    this.transport = undefined;
    this.transportId = undefined;
    this.failure = undefined;
    transport?.close();
    if (transportId !== undefined && this.adapter.closeTransport) {
      await within(
        this.adapter.closeTransport({ transportId }).catch(() => undefined),
        CLOSE_TIMEOUT_MS,
      );
    }
  }

  /** Everything the bot opened: the transport, and the adapter when it is the bot's own. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.closeTransport();
    this.closed = true;
    // Before the adapter closes: a late answer's transport is closed on the server too.
    await within(Promise.allSettled(this.lateCleanups), CLOSE_TIMEOUT_MS);
    if (this.ownsAdapter && this.adapter.close) {
      await within(
        this.adapter.close().catch(() => undefined),
        CLOSE_TIMEOUT_MS,
      );
    }
  }
}

// One virtual user: a Device, a send transport through the signaling adapter, its
// DataProducers. Every step either completes or rejects with a BotError whose `kind` the
// engine reports; close() releases everything the bot opened, whatever happened before.

import {
  Device,
  type DataConsumer,
  type DataProducer,
  type Transport,
} from 'mediasoup-data-producer';
import { decodeMessage, encodeMessage, type SignalingAdapter } from 'mediasoup-data-producer-cli';

import type {
  ConsumeDataStep,
  EngineConfig,
  ProduceDataStep,
  SendStep,
  WaitForMessagesStep,
} from './config.js';
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

/** Resolves when the DataConsumer is open; rejects when it closes first or after `ms`. */
function waitConsumerOpen(consumer: DataConsumer, ms: number): Promise<void> {
  if (consumer.readyState === 'open') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      consumer.off('open', onOpen);
      consumer.off('error', onError);
      consumer.observer.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onOpen = (): void => {
      done();
    };
    const onError = (error: Error): void => {
      done(error);
    };
    const onClose = (): void => {
      done(new Error('the DataConsumer closed before it opened'));
    };
    const timer = setTimeout(() => {
      done(new Error(`the DataConsumer did not open within ${Math.round(ms)} ms`));
    }, ms);
    consumer.on('open', onOpen);
    consumer.on('error', onError);
    consumer.observer.on('close', onClose);
  });
}

/** Throws when the producer closed (a function: the compiler cannot see it close meanwhile). */
function checkOpen(producer: DataProducer): void {
  if (producer.closed) throw new BotError(ERRORS.send, 'send: the DataProducer closed');
}

interface ProducerEntry {
  producer: DataProducer;
  seq: number;
}

interface ConsumerEntry {
  consumer: DataConsumer;
  /** Messages received. */
  received: number;
  /** The sequence number expected next (numbered messages), once one arrived. */
  nextSeq: number | undefined;
}

/** Epoch milliseconds, as the CLI's message header carries them. */
function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export class Bot {
  private device: Device | undefined;
  private loadingDevice: Promise<Device> | undefined;
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
  /** The recv transport (created once, by the first consumeData step) and its consumers. */
  private recvTransport: Transport | undefined;
  private creatingRecv: Promise<Transport> | undefined;
  /** Keyed by the DataProducer id; producers being consumed are in `consuming`. */
  private readonly consumers = new Map<string, ConsumerEntry>();
  private readonly consuming = new Set<string>();
  private watchTimer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> | undefined;
  private lastMessageAt = 0;
  private pendingReceived = 0;
  private pendingReceivedBytes = 0;
  private pendingOutOfOrder = 0;
  private pendingLost = 0;
  private lastReceiveFlush = 0;

  constructor(
    readonly id: string,
    /** The run's id (Artillery's test run id), given to the app as appData.mdpRunId. */
    private readonly runId: string,
    private readonly adapter: SignalingAdapter,
    /** False for an adapter object shared by every bot of the worker: close() leaves it open. */
    private readonly ownsAdapter: boolean,
    private readonly config: EngineConfig,
    private readonly ee: MetricsEmitter,
    /** The bot's room: its producers' appData.room, and the room consumeData consumes. */
    readonly room?: string,
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
    let device: Device;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no transport within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      device = await Promise.race([this.loadDevice(), deadline]);
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
    const transport = device.createSendTransport({
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

  /** The bot's Device, loaded once (getRouterRtpCapabilities). */
  private loadDevice(): Promise<Device> {
    if (this.device) return Promise.resolve(this.device);
    this.loadingDevice ??= (async () => {
      try {
        const device = new Device();
        const routerRtpCapabilities = await this.adapter.getRouterRtpCapabilities();
        await device.load({ routerRtpCapabilities: routerRtpCapabilities as never });
        this.device = device;
        return device;
      } finally {
        this.loadingDevice = undefined;
      }
    })();
    return this.loadingDevice;
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
          ...(this.room !== undefined && { room: this.room }),
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

  // ---- The receive side ----

  /** The DataConsumers' figures so far: for tests and processor functions. */
  get consumerCount(): number {
    return this.consumers.size;
  }

  /**
   * Consumes the room's DataProducers of other bots, through the adapter's
   * listDataProducers and consumeData, on the bot's recv transport (created once). Completes
   * once `count` are consumed and open; with `watch`, keeps consuming later ones.
   */
  async consumeData(step: ConsumeDataStep & { count: number }): Promise<void> {
    this.check();
    const room = this.room;
    if (room === undefined) {
      throw new BotError(
        ERRORS.scenario,
        'consumeData: the bot has no room (set room or roomSize)',
      );
    }
    const missing = (['listDataProducers', 'consumeData'] as const).filter(
      (method) => typeof this.adapter[method] !== 'function',
    );
    if (missing.length > 0) {
      throw new BotError(
        ERRORS.consume,
        `consumeData: the signaling adapter has no ${missing.join('() or ')}()`,
      );
    }
    const timeoutMs = step.timeoutMs ?? this.config.connectTimeoutMs;
    const start = performance.now();
    const deadline = start + timeoutMs;
    this.stopWatching();
    await this.ensureRecvTransport(timeoutMs);
    for (;;) {
      await this.pollRoom(room, deadline);
      this.check();
      if (this.consumers.size >= step.count) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new BotError(
          ERRORS.consumeTimeout,
          `consumeData: ${this.consumers.size} of ${step.count} producers of others in room ${JSON.stringify(room)} consumed after ${Math.round(performance.now() - start)} ms`,
        );
      }
      await sleep(Math.min(step.pollIntervalMs, left));
    }
    if (step.watch) this.watch(room, step.pollIntervalMs);
  }

  private ensureRecvTransport(timeoutMs: number): Promise<Transport> {
    if (this.recvTransport && !this.recvTransport.closed) {
      return Promise.resolve(this.recvTransport);
    }
    this.creatingRecv ??= this.createRecvTransport(timeoutMs).finally(() => {
      this.creatingRecv = undefined;
    });
    return this.creatingRecv;
  }

  private async createRecvTransport(timeoutMs: number): Promise<Transport> {
    const adapter = this.adapter;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no recv transport within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    let device: Device;
    let params: Awaited<ReturnType<SignalingAdapter['createWebRtcTransport']>>;
    try {
      device = await Promise.race([this.loadDevice(), deadline]);
      const request = adapter.createWebRtcTransport({
        sctpCapabilities: device.sctpCapabilities,
        direction: 'recv',
      });
      params = await Promise.race([request, deadline]).catch((error: unknown) => {
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
      throw new BotError(ERRORS.consume, `consumeData: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) {
      void adapter.closeTransport?.({ transportId: params.id }).catch(() => undefined);
      throw new BotError(ERRORS.scenario, 'consumeData: the bot closed meanwhile');
    }
    const transport = device.createRecvTransport({
      ...params,
      signalingTimeout: timeoutMs,
      appData: { botId: this.id },
    });
    this.recvTransport = transport;
    const transportId = transport.id;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      adapter.connectWebRtcTransport({ transportId, dtlsParameters }).then(callback, errback);
    });
    let opened = false;
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected' && !opened) {
        opened = true;
        this.ee.emit('counter', COUNTERS.recvTransportsOpened, 1);
      } else if (state === 'failed' && !this.closed && this.recvTransport === transport) {
        this.ee.emit('counter', COUNTERS.transportsFailed, 1);
        this.failure ??= new BotError(ERRORS.transport, 'the recv transport connection failed');
      }
    });
    return transport;
  }

  /** One look at the room: consumes its producers of others not consumed yet. */
  private async pollRoom(room: string, deadline: number): Promise<void> {
    const adapter = this.adapter;
    if (!adapter.listDataProducers) return;
    const list = (): Promise<{ id: string }[]> =>
      adapter.listDataProducers ? adapter.listDataProducers({ room }) : Promise.resolve([]);
    let producers: { id: string }[];
    try {
      producers = await list();
    } catch (error) {
      throw new BotError(ERRORS.consume, `consumeData: listDataProducers: ${messageOf(error)}`);
    }
    const own = new Set([...this.producers.values()].map(({ producer }) => producer.id));
    const fresh = producers.filter(
      ({ id }) => !own.has(id) && !this.consumers.has(id) && !this.consuming.has(id),
    );
    const results = await Promise.allSettled(fresh.map(({ id }) => this.consumeOne(id, deadline)));
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      // A producer that closed meanwhile (its bot left) is no failure.
      const still = await list().catch(() => undefined);
      if (still && !still.some(({ id }) => id === fresh[i]?.id)) continue;
      throw result.reason;
    }
  }

  private async consumeOne(dataProducerId: string, deadline: number): Promise<void> {
    const transport = this.recvTransport;
    const adapter = this.adapter;
    if (!transport || transport.closed || !adapter.consumeData) {
      throw new BotError(ERRORS.consume, 'consumeData: the recv transport is closed');
    }
    this.consuming.add(dataProducerId);
    let serverId: string | undefined;
    let consumer: DataConsumer | undefined;
    try {
      const params = await adapter.consumeData({
        transportId: transport.id,
        dataProducerId,
      });
      serverId = params.id;
      consumer = await transport.consumeData({ ...params, appData: { botId: this.id } });
      consumer.binaryType = 'nodebuffer';
      const entry: ConsumerEntry = { consumer, received: 0, nextSeq: undefined };
      consumer.on('message', (message) => {
        this.onMessage(entry, message as string | Buffer);
      });
      await waitConsumerOpen(consumer, Math.max(0, deadline - performance.now()));
      if (this.closed) throw new Error('the bot closed meanwhile');
      this.consumers.set(dataProducerId, entry);
      this.ee.emit('counter', COUNTERS.consumersOpened, 1);
    } catch (error) {
      consumer?.close();
      if (serverId !== undefined) {
        void this.adapter.closeDataConsumer?.({ dataConsumerId: serverId }).catch(() => undefined);
      }
      throw new BotError(ERRORS.consume, `consumeData: ${messageOf(error)}`);
    } finally {
      this.consuming.delete(dataProducerId);
    }
  }

  private onMessage(entry: ConsumerEntry, message: string | Buffer): void {
    const now = epochNow();
    entry.received++;
    this.lastMessageAt = performance.now();
    this.pendingReceived++;
    this.pendingReceivedBytes +=
      typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (typeof message !== 'string') {
      const decoded = decodeMessage(message);
      if (decoded) {
        this.ee.emit('histogram', HISTOGRAMS.latency, Math.max(0, now - decoded.sentAt));
        if (entry.nextSeq !== undefined && decoded.seq < entry.nextSeq) this.pendingOutOfOrder++;
        else {
          if (entry.nextSeq !== undefined) this.pendingLost += decoded.seq - entry.nextSeq;
          entry.nextSeq = decoded.seq + 1;
        }
      }
    }
    if (this.lastMessageAt - this.lastReceiveFlush >= 1000) this.flushReceived();
  }

  private flushReceived(): void {
    this.lastReceiveFlush = performance.now();
    if (this.pendingReceived > 0) {
      this.ee.emit('counter', COUNTERS.messagesReceived, this.pendingReceived);
      this.ee.emit('counter', COUNTERS.bytesReceived, this.pendingReceivedBytes);
      this.pendingReceived = 0;
      this.pendingReceivedBytes = 0;
    }
    if (this.pendingOutOfOrder > 0) {
      this.ee.emit('counter', COUNTERS.messagesOutOfOrder, this.pendingOutOfOrder);
      this.pendingOutOfOrder = 0;
    }
    if (this.pendingLost > 0) {
      this.ee.emit('counter', COUNTERS.messagesLost, this.pendingLost);
      this.pendingLost = 0;
    }
  }

  /** Consumes the room's later producers, every pollInterval, until the bot closes. */
  private watch(room: string, pollIntervalMs: number): void {
    this.watchTimer = setInterval(() => {
      if (this.polling || this.closed) return;
      const deadline = performance.now() + this.config.connectTimeoutMs;
      this.polling = this.pollRoom(room, deadline)
        .catch((error: unknown) => {
          if (!this.closed && !this.recvClosing) {
            this.failure ??=
              error instanceof BotError ? error : new BotError(ERRORS.consume, messageOf(error));
          }
        })
        .finally(() => {
          this.polling = undefined;
        });
    }, pollIntervalMs);
  }

  private stopWatching(): void {
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
  }

  /**
   * Waits until the bot's own producers have handed everything to the network, then until
   * every consumer has received `count` messages, or (without count) until none arrived for
   * `idle`.
   */
  async waitForMessages(step: WaitForMessagesStep): Promise<void> {
    this.check();
    const start = performance.now();
    const deadline = start + step.timeoutMs;
    try {
      while (
        performance.now() < deadline &&
        [...this.producers.values()].some(
          ({ producer }) => !producer.closed && producer.bufferedAmount > 0,
        )
      ) {
        await sleep(20);
      }
      this.lastMessageAt = Math.max(this.lastMessageAt, performance.now());
      for (;;) {
        this.check();
        const now = performance.now();
        if (step.count === undefined) {
          if (now - this.lastMessageAt >= step.idleMs || now >= deadline) return;
        } else {
          const count = step.count;
          const short = [...this.consumers.values()].filter((e) => e.received < count);
          if (short.length === 0) return;
          if (now >= deadline) {
            throw new BotError(
              ERRORS.receiveTimeout,
              `waitForMessages: ${short.length} of ${this.consumers.size} consumers below ${count} messages after ${Math.round(now - start)} ms (least: ${Math.min(...short.map((e) => e.received))})`,
            );
          }
        }
        await sleep(50);
      }
    } finally {
      this.flushReceived();
    }
  }

  private recvClosing = false;

  /** Closes the consumers and the recv transport, here and on the server. */
  async closeRecv(): Promise<void> {
    this.stopWatching();
    this.recvClosing = true;
    try {
      await within(this.polling ?? Promise.resolve(), CLOSE_TIMEOUT_MS);
      await within(
        Promise.resolve(this.creatingRecv).then(
          () => undefined,
          () => undefined,
        ),
        CLOSE_TIMEOUT_MS,
      );
      this.flushReceived();
      const entries = [...this.consumers.values()];
      this.consumers.clear();
      for (const { consumer } of entries) consumer.close();
      const transport = this.recvTransport;
      this.recvTransport = undefined;
      transport?.close();
      const adapter = this.adapter;
      await within(
        Promise.allSettled([
          ...entries.map(({ consumer }) =>
            adapter.closeDataConsumer?.({ dataConsumerId: consumer.id }),
          ),
          transport && adapter.closeTransport?.({ transportId: transport.id }),
        ]),
        CLOSE_TIMEOUT_MS,
      );
    } finally {
      this.recvClosing = false;
    }
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

  /** The close step: the consumers and the recv transport, the producers and the send transport. */
  async closeAll(): Promise<void> {
    await this.closeRecv();
    await this.closeTransport();
  }

  /** Everything the bot opened: the transport, and the adapter when it is the bot's own. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.closeAll();
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

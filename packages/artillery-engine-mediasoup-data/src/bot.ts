// One virtual user: a Device, a send transport through the signaling adapter, its
// DataProducers. Every step either completes or rejects with a BotError whose `kind` the
// engine reports; close() releases everything the bot opened, whatever happened before.

import {
  Device,
  type DataConsumer,
  type DataProducer,
  type Transport,
} from 'mediasoup-data-producer';
import { encodeMessage, signalThrough, type SignalingAdapter } from 'mediasoup-data-producer-cli';

import type {
  ConsumeDataStep,
  EngineConfig,
  ProduceDataStep,
  SendStep,
  WaitForMessagesStep,
} from './config.js';
import { COUNTERS, ERRORS, HISTOGRAMS, type MetricsEmitter } from './metrics.js';
import { ReceiveTally, type ConsumerCount } from './receiveTally.js';
import { sleep, waitBelow, waitConsumerOpen, within } from './waits.js';

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

/** Throws when the producer closed (a function: the compiler cannot see it close meanwhile). */
function checkOpen(producer: DataProducer): void {
  if (producer.closed) throw new BotError(ERRORS.send, 'send: the DataProducer closed');
}

type TransportParameters = Awaited<ReturnType<SignalingAdapter['createWebRtcTransport']>>;

interface ProducerEntry {
  producer: DataProducer;
  seq: number;
}

interface ConsumerEntry extends ConsumerCount {
  consumer: DataConsumer;
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
  /** Messages received, counted into Artillery's metrics about once a second. */
  private readonly tally: ReceiveTally;
  private polling: Promise<unknown> | undefined;

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
  ) {
    this.tally = new ReceiveTally(ee);
  }

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
    const transport = await this.openTransport('send', timeoutMs);
    this.transport = transport;
    this.transportId = transport.id;
    this.connectSignalingMs = performance.now() - start;
  }

  /** The bot's Device, loaded once (getRouterRtpCapabilities). */
  private loadDevice(): Promise<Device> {
    if (this.device) return Promise.resolve(this.device);
    this.loadingDevice ??= (async () => {
      try {
        const device = new Device();
        const routerRtpCapabilities = await this.adapter.getRouterRtpCapabilities();
        await device.load({ routerRtpCapabilities });
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
          await waitBelow(producer, highWaterMark);
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
    const transport = await this.openTransport('recv', timeoutMs);
    this.recvTransport = transport;
    return transport;
  }

  /**
   * A transport of the bot's Device through the adapter, within `timeoutMs`, its `connect`
   * handled and its connection counted. The send transport is the connect step's, the recv
   * transport the first consumeData step's: failures are reported as that step's.
   */
  private async openTransport(direction: 'send' | 'recv', timeoutMs: number): Promise<Transport> {
    const [stepName, kind, what] =
      direction === 'send'
        ? (['connect', ERRORS.connect, 'transport'] as const)
        : (['consumeData', ERRORS.consume, 'recv transport'] as const);
    const adapter = this.adapter;
    let device: Device;
    let params: TransportParameters;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      device = await Promise.race([this.loadDevice(), deadline]);
      const request = adapter.createWebRtcTransport({
        sctpCapabilities: device.sctpCapabilities,
        // The send transport's request stays as adapters without a receive side know it.
        ...(direction === 'recv' && { direction }),
      });
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
      throw new BotError(kind, `${stepName}: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) {
      void adapter.closeTransport?.({ transportId: params.id }).catch(() => undefined);
      throw new BotError(ERRORS.scenario, `${stepName}: the bot closed meanwhile`);
    }
    const options = { ...params, signalingTimeout: timeoutMs, appData: { botId: this.id } };
    const transport =
      direction === 'send'
        ? device.createSendTransport(options)
        : device.createRecvTransport(options);
    signalThrough(transport, adapter);
    let opened = false;
    transport.on('connectionstatechange', (state) => {
      const current = this.transport === transport || this.recvTransport === transport;
      if (state === 'connected' && !opened) {
        opened = true;
        this.ee.emit(
          'counter',
          direction === 'send' ? COUNTERS.transportsOpened : COUNTERS.recvTransportsOpened,
          1,
        );
      } else if (state === 'failed' && !this.closed && current) {
        this.ee.emit('counter', COUNTERS.transportsFailed, 1);
        this.failure ??= new BotError(ERRORS.transport, `the ${what} connection failed`);
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
        this.tally.count(entry, message as string | Buffer);
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
      this.tally.lastMessageAt = Math.max(this.tally.lastMessageAt, performance.now());
      for (;;) {
        this.check();
        const now = performance.now();
        if (step.count === undefined) {
          if (now - this.tally.lastMessageAt >= step.idleMs || now >= deadline) return;
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
      this.tally.flush();
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
      this.tally.flush();
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

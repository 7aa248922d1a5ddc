// One bot: a Device, a send transport and its DataProducers, a recv transport and its
// DataConsumers, all through a signaling adapter. Every step either completes or rejects
// with a BotError whose `kind` says which step failed; close() releases everything the bot
// opened, whatever happened before. The command line's load engine and the Artillery
// engine both drive it; each adds its own context (a flag, a YAML path) to what it reports.

import {
  Device,
  type DataConsumer,
  type DataProducer,
  type Transport,
} from 'mediasoup-data-producer';

import type {
  ConsumeDataResult,
  PushedDataConsumer,
  SignalingAdapter,
  SignalingSession,
  WebRtcTransportParameters,
} from './adapter.js';
import { abortableSleep, settleWithin, withTimeout, yieldToEventLoop } from './async.js';
import { closeWithoutLoss } from './closeWithoutLoss.js';
import { errorMessage, NotSupportedError } from './errors.js';
import { epochNow, writeMessage } from './message.js';
import { checkMessageSize, MessageTooLargeError } from './messageSize.js';
import { sendBudget } from './pacing.js';
import { ReceiverChecker } from './receiver.js';
import { sharedSendTick, type SendTick, type TickSleeper } from './sendTick.js';
import { signalThrough } from './signalThrough.js';
import { waitLow, waitOpen } from './waits.js';

/** Which step failed: the Artillery engine counts `errors.<its name for the kind>`. */
export type BotErrorKind =
  | 'connect'
  | 'produce'
  | 'openTimeout'
  | 'transport'
  | 'send'
  | 'consume'
  | 'consumeTimeout'
  | 'receiveTimeout'
  | 'scenario';

/** A step failed. The message starts with the step (`connect: ...`, `send: ...`). */
export class BotError extends Error {
  override name = 'BotError';
  constructor(
    readonly kind: BotErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** What a bot counts; a driver maps them to its own names. */
export type BotCounter =
  | 'transportsOpened'
  | 'recvTransportsOpened'
  | 'transportsFailed'
  | 'producersOpened'
  | 'messagesSent'
  | 'bytesSent'
  | 'consumersOpened'
  | 'messagesReceived'
  | 'bytesReceived'
  | 'messagesOutOfOrder'
  | 'messagesLost'
  | 'messagesBeforeOpen';

/** What a bot samples: connect time and latency in ms, buffered amount in bytes. */
export type BotHistogram = 'connectTime' | 'bufferedAmount' | 'latency';

/**
 * Where a bot's figures go. Counts of messages and bytes come in batches, at most about
 * once a second and at the end of each step, each batch within one wall-clock second.
 */
export interface BotMetrics {
  counter(name: BotCounter, value: number, at: number): void;
  histogram(name: BotHistogram, value: number): void;
}

export interface BotOptions {
  /** The bot's id: appData.botId of its producers, the session's bot id. */
  id: string;
  /** The run's id: appData.mdpRunId of its producers (ReceiverChecker groups by it). */
  runId: string;
  adapter: SignalingAdapter;
  /** close() closes the adapter too (an adapter made for this bot). Default false. */
  ownsAdapter?: boolean;
  /** The bot's room: appData.room of its producers, the room consumeRoom() consumes. */
  room?: string;
  /** Given to the adapter's openSession() (Artillery: the virtual user's variables). */
  vars?: Record<string, unknown>;
  /** A loaded Device shared by bots; by default the bot loads its own, once. */
  device?: Device;
  /** From a transport request to its first DataProducer open. Default 15000 ms. */
  connectTimeoutMs?: number;
  /** send() waits for bufferedamountlow (at half of it) above this. Default 256 KiB. */
  highWaterMark?: number;
  metrics?: BotMetrics;
  /** Where arrivals are checked; default one of the bot's own. */
  checker?: ReceiverChecker;
  /** Ends every wait and send of the bot at once (a run that stops). */
  signal?: AbortSignal;
  /** The timer that paces send() under a rate; default the one every bot shares. */
  sendTick?: SendTick;
  /**
   * Told what failed without failing a step: an adapter's closeTransport or
   * closeDataConsumer that rejected (NotSupportedError is no failure).
   */
  onWarning?: (message: string) => void;
}

export interface BotProduceOptions {
  label: string;
  protocol?: string;
  /** Merged over { mdpRunId, botId, producer, room }. */
  appData?: Record<string, unknown>;
  ordered?: boolean;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
  /** performance.now() by which it must be open; default connectTimeout from now. */
  openBy?: number;
}

/** One DataProducer of the bot and what it sent. */
export interface BotProducer {
  readonly label: string;
  readonly dataProducer: DataProducer;
  /** Messages sent: the next message's sequence number. */
  sent: number;
  bytes: number;
}

export interface BotSendOptions {
  /** The producer by its label; default the latest. */
  label?: string;
  /** The producer itself (several may share a label). */
  producer?: BotProducer;
  /** Stop after this many messages, or after this long (ms), or when the signal aborts. */
  count?: number;
  durationMs?: number;
  /** Messages per second; undefined or 0: as fast as the buffer allows. */
  rate?: number;
  /** Bytes of a numbered, timestamped message (default 1024). */
  size?: number;
  /** Instead of numbered messages: the message for this sequence number. */
  payload?: (seq: number) => string | Buffer;
}

/** One DataConsumer of the bot and what it received. */
export interface BotConsumer {
  /** The router's DataConsumer id (the ReceiverChecker's key). */
  readonly id: string;
  readonly dataProducerId: string;
  readonly dataConsumer: DataConsumer;
  /** Messages received (numbered or not). */
  received: number;
}

export interface BotRoomOptions {
  /** Completes once this many producers of others are consumed and open. */
  count: number;
  /** Default connectTimeout. */
  timeoutMs?: number;
  /** Keep consuming the room's later producers until the bot closes. */
  watch?: boolean;
  /** How often to ask listDataProducers. Default 500 ms. */
  pollIntervalMs?: number;
}

export interface BotWaitOptions {
  /** Until every consumer has received up to message `count` - 1; else until idle. */
  count?: number;
  /** Without count: until nothing arrived for this long. Default 1000 ms. */
  idleMs?: number;
  timeoutMs: number;
}

/** How long a close waits for the adapter's answers and for the tail to be delivered. */
export const CLOSE_TIMEOUT_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_HIGH_WATER_MARK = 256 * 1024;
/** The library's default maxBufferedAmount, and the largest message a bot expects to send. */
const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;
const LARGEST_MESSAGE = 1024 * 1024;
/** How often consume() looks for a consumer the app pushes. */
const PUSH_POLL_MS = 50;

/**
 * The one maxBufferedAmount rule: send() must never refuse below the high-water mark, so
 * the cap leaves room for one more message of any size a router takes.
 */
export function maxBufferedAmountFor(highWaterMark: number): number {
  return Math.max(DEFAULT_MAX_BUFFERED, highWaterMark + LARGEST_MESSAGE);
}

const NO_METRICS: BotMetrics = {
  counter: () => undefined,
  histogram: () => undefined,
};

/** Counts batched per wall-clock second, so a busy bot reports a few batches, not every message. */
class Batch {
  private readonly pending = new Map<BotCounter, number>();
  private second = 0;
  /** Epoch ms of the batch's first count. */
  private firstAt = 0;

  constructor(private readonly metrics: BotMetrics) {}

  add(name: BotCounter, value: number): void {
    this.at(epochNow());
    this.pending.set(name, (this.pending.get(name) ?? 0) + value);
  }

  /** Messages and their bytes sent: the send loop's one call per burst. */
  addSent(messages: number, bytes: number): void {
    this.at(epochNow());
    this.pending.set('messagesSent', (this.pending.get('messagesSent') ?? 0) + messages);
    this.pending.set('bytesSent', (this.pending.get('bytesSent') ?? 0) + bytes);
  }

  private at(now: number): void {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.flush();
      this.second = second;
    }
    if (this.pending.size === 0) this.firstAt = now;
  }

  flush(): void {
    const at = this.firstAt;
    for (const [name, value] of this.pending) {
      if (value > 0 || name === 'messagesLost') this.metrics.counter(name, value, at);
    }
    this.pending.clear();
  }
}

export class Bot {
  readonly id: string;
  readonly runId: string;
  readonly room: string | undefined;
  readonly checker: ReceiverChecker;
  private readonly adapter: SignalingAdapter;
  /** What the bot signals through: the adapter, or its own session once open. */
  private signaling: SignalingSession;
  private session: SignalingSession | undefined;
  private openingSession: Promise<SignalingSession> | undefined;
  /** The app pushes consumers to this bot (its session said so). */
  private pushes = false;
  private readonly metrics: BotMetrics;
  private readonly batch: Batch;
  private readonly connectTimeoutMs: number;
  private readonly highWaterMark: number;
  private readonly signal: AbortSignal | undefined;
  private readonly sendTick: SendTick;
  /** The sends waiting in the tick: a close wakes them. */
  private readonly sleepers = new Set<TickSleeper>();
  private device: Device | undefined;
  private loadingDevice: Promise<Device> | undefined;
  private sendTransport: Transport | undefined;
  private sendParameters: WebRtcTransportParameters | undefined;
  private readonly producerList: BotProducer[] = [];
  /** For connect_time: the signaling part of the connect step, until its first open. */
  private connectSignalingMs: number | undefined;
  /** A failure seen between steps (a connection failed), reported by the next step. */
  private failure: BotError | undefined;
  private closed = false;
  /** closeTransport requests for transports answered after the bot gave up on them. */
  private readonly lateCleanups: Promise<unknown>[] = [];
  private recvTransport: Transport | undefined;
  private creatingRecv: Promise<Transport> | undefined;
  private recvClosing = false;
  /** Keyed by the DataProducer id; producers being consumed are in `consuming`. */
  private readonly consumerMap = new Map<string, BotConsumer>();
  private readonly consuming = new Set<string>();
  private watchTimer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> | undefined;
  /** performance.now() of the last arrival (or of the last wait that started). */
  private lastArrivalAt = 0;
  /** Per consumer, the losses and reorderings already counted into the metrics. */
  private readonly reported = new Map<
    string,
    { lost: number; outOfOrder: number; firstCounted: boolean }
  >();

  constructor(private readonly options: BotOptions) {
    this.id = options.id;
    this.runId = options.runId;
    this.room = options.room;
    this.adapter = options.adapter;
    this.signaling = options.adapter;
    this.metrics = options.metrics ?? NO_METRICS;
    this.batch = new Batch(this.metrics);
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.signal = options.signal;
    this.sendTick = options.sendTick ?? sharedSendTick;
    this.device = options.device;
    // Latency figures come from the bot's metrics; its own checker only counts.
    this.checker = options.checker ?? new ReceiverChecker({ latency: false });
  }

  /** The send transport while connected. */
  get transport(): Transport | undefined {
    return this.sendTransport;
  }

  /** The recv transport, once a consume made it. */
  get receiveTransport(): Transport | undefined {
    return this.recvTransport;
  }

  get producers(): readonly BotProducer[] {
    return this.producerList;
  }

  get consumers(): BotConsumer[] {
    return [...this.consumerMap.values()];
  }

  private stopping(): boolean {
    return this.closed || this.signal?.aborted === true;
  }

  private check(): void {
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  // ---- The send side ----

  /**
   * Opens the send transport through the adapter within `timeoutMs` (default
   * connectTimeout). With `messageSize`, refuses (MessageTooLargeError) a router that does
   * not take messages that large.
   */
  async connect({
    timeoutMs = this.connectTimeoutMs,
    messageSize,
  }: { timeoutMs?: number; messageSize?: number } = {}): Promise<Transport> {
    this.check();
    if (this.sendTransport && !this.sendTransport.closed) {
      throw new BotError('scenario', 'connect: this bot is connected already (close first)');
    }
    const start = performance.now();
    const transport = await this.openTransport('send', timeoutMs, (params) => {
      if (messageSize === undefined) return;
      const tooLarge = checkMessageSize(messageSize, params.sctpParameters);
      if (tooLarge) throw tooLarge;
    });
    this.sendTransport = transport;
    this.connectSignalingMs = performance.now() - start;
    return transport;
  }

  /**
   * The bot's signaling: the adapter, or (when the adapter opens sessions) the bot's own
   * session, opened once, through which the app may push consumers.
   */
  private ready(): Promise<SignalingSession> {
    const { adapter } = this;
    if (!adapter.openSession || this.session) return Promise.resolve(this.signaling);
    this.openingSession ??= adapter
      .openSession({ botId: this.id, room: this.room, vars: this.options.vars ?? {} })
      .then((session) => {
        if (this.closed) {
          void settleWithin((async () => session.close?.())(), CLOSE_TIMEOUT_MS);
          throw new Error('the bot closed meanwhile');
        }
        this.session = session;
        this.signaling = session;
        if (session.onDataConsumer) {
          this.pushes = true;
          session.onDataConsumer((consumer) => this.acceptPushed(consumer));
        }
        return session;
      })
      .finally(() => {
        this.openingSession = undefined;
      });
    return this.openingSession;
  }

  /** The bot's Device, loaded once (getRouterRtpCapabilities). */
  private loadDevice(): Promise<Device> {
    if (this.device) return Promise.resolve(this.device);
    this.loadingDevice ??= (async () => {
      try {
        const device = new Device();
        const signaling = await this.ready();
        const routerRtpCapabilities = await signaling.getRouterRtpCapabilities();
        await device.load({ routerRtpCapabilities });
        this.device = device;
        return device;
      } finally {
        this.loadingDevice = undefined;
      }
    })();
    return this.loadingDevice;
  }

  /** A DataProducer on the send transport, once open. */
  async produceData(options: BotProduceOptions): Promise<BotProducer> {
    this.check();
    const transport = this.sendTransport;
    if (!transport || transport.closed) {
      throw new BotError('scenario', 'produceData: no transport (connect first)');
    }
    const start = performance.now();
    const openBy = options.openBy ?? start + this.connectTimeoutMs;
    let dataProducer: DataProducer;
    try {
      dataProducer = await transport.produceData({
        label: options.label,
        protocol: options.protocol ?? '',
        appData: {
          mdpRunId: this.runId,
          botId: this.id,
          producer: this.producerList.length,
          ...(this.room !== undefined && { room: this.room }),
          ...options.appData,
        },
        maxBufferedAmount: maxBufferedAmountFor(this.highWaterMark),
        ...(options.ordered !== undefined && { ordered: options.ordered }),
        ...(options.maxRetransmits !== undefined && { maxRetransmits: options.maxRetransmits }),
        ...(options.maxPacketLifeTime !== undefined && {
          maxPacketLifeTime: options.maxPacketLifeTime,
        }),
      });
    } catch (error) {
      this.countConnectFailure();
      throw new BotError('produce', `produceData: ${errorMessage(error)}`);
    }
    dataProducer.bufferedAmountLowThreshold = Math.floor(this.highWaterMark / 2);
    const producer: BotProducer = { label: options.label, dataProducer, sent: 0, bytes: 0 };
    this.producerList.push(producer);
    try {
      await waitOpen(dataProducer, openBy - performance.now(), this.signal);
    } catch (error) {
      this.countConnectFailure();
      const failure = this.failure;
      this.failure = undefined;
      if (failure) throw failure;
      const timedOut = error instanceof Error && /did not open within/.test(error.message);
      throw new BotError(
        timedOut ? 'openTimeout' : 'produce',
        timedOut
          ? `produceData: not open ${Math.round(performance.now() - start)} ms after the request (connect timeout ${this.connectTimeoutMs} ms)`
          : `produceData: ${errorMessage(error)}`,
      );
    }
    if (this.stopping()) return producer;
    this.metrics.counter('producersOpened', 1, epochNow());
    if (this.connectSignalingMs !== undefined) {
      this.metrics.histogram('connectTime', this.connectSignalingMs + performance.now() - start);
      this.connectSignalingMs = undefined;
    }
    return producer;
  }

  /** A transport that never got a producer open counts as failed once. */
  private countConnectFailure(): void {
    if (this.connectSignalingMs !== undefined) {
      this.connectSignalingMs = undefined;
      this.metrics.counter('transportsFailed', 1, epochNow());
    }
  }

  /**
   * Sends numbered, timestamped messages (or the payload's), paced by `rate` and by the
   * buffer: above the high-water mark it waits for bufferedamountlow. Ends after `count`
   * messages, after `durationMs`, or when the bot's signal aborts.
   */
  async send(options: BotSendOptions = {}): Promise<void> {
    this.check();
    const producer =
      options.producer ??
      (options.label === undefined
        ? this.producerList[this.producerList.length - 1]
        : this.producerList.find((p) => p.label === options.label));
    if (!producer) {
      throw new BotError(
        'scenario',
        options.label === undefined
          ? 'send: no DataProducer (produceData first)'
          : `send: no DataProducer labelled ${JSON.stringify(options.label)}`,
      );
    }
    const { dataProducer } = producer;
    const { count, rate = 0, size = 1024, payload } = options;
    const start = performance.now();
    const deadline = options.durationMs === undefined ? Infinity : start + options.durationMs;
    const first = producer.sent;
    const { highWaterMark, signal } = this;
    // The library copies what send() takes, so one buffer serves every numbered message.
    const scratch = payload === undefined ? Buffer.alloc(size) : undefined;
    const sleeper = this.sendTick.sleeper();
    this.sleepers.add(sleeper);
    signal?.addEventListener('abort', sleeper.wake, { once: true });
    let lastSample = -Infinity;
    try {
      while (!this.stopping() && (count === undefined || producer.sent - first < count)) {
        this.check();
        if (dataProducer.closed) {
          throw new BotError(
            'send',
            `send: the DataProducer closed (transport ${this.sendTransport?.connectionState ?? 'closed'})`,
          );
        }
        const now = performance.now();
        if (now >= deadline) break;
        const budget = sendBudget(rate, start, producer.sent - first, now);
        if ('waitMs' in budget) {
          this.batch.flush();
          await sleeper.sleep(Math.min(now + budget.waitMs, deadline));
          continue;
        }
        const allowed =
          count === undefined
            ? budget.send
            : Math.min(budget.send, count - (producer.sent - first));
        let n = 0;
        let bytes = 0;
        // An upper bound of bufferedAmount (SCTP drains meanwhile), read again only once it
        // reaches the high-water mark: one native call per burst instead of one per message.
        let buffered = dataProducer.bufferedAmount;
        while (n < allowed) {
          if (buffered >= highWaterMark) {
            buffered = dataProducer.bufferedAmount;
            if (buffered >= highWaterMark) break;
          }
          const message = scratch
            ? writeMessage(scratch, producer.sent)
            : (payload as (seq: number) => string | Buffer)(producer.sent);
          try {
            dataProducer.send(message);
          } catch (error) {
            throw new BotError('send', `send: ${errorMessage(error)}`);
          }
          const length = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
          producer.sent++;
          producer.bytes += length;
          bytes += length;
          buffered += length;
          n++;
        }
        if (n > 0) this.batch.addSent(n, bytes);
        if (now - lastSample >= 1000) {
          lastSample = now;
          this.metrics.histogram('bufferedAmount', dataProducer.bufferedAmount);
        }
        // Full buffer: wait for it to drain. Done: no wait for a next message. Under a rate,
        // sleep in the tick until the next message is due (that lets timers, I/O and the
        // other bots run too). Otherwise let them run before the next burst.
        if (n < allowed) {
          await waitLow(dataProducer, dataProducer.bufferedAmountLowThreshold, signal);
        } else if (count !== undefined && producer.sent - first >= count) {
          break;
        } else if (rate > 0 && !this.stopping()) {
          const next = sendBudget(rate, start, producer.sent - first, performance.now());
          if ('waitMs' in next) {
            this.batch.flush();
            await sleeper.sleep(Math.min(performance.now() + next.waitMs, deadline));
          } else await yieldToEventLoop();
        } else {
          await yieldToEventLoop();
        }
      }
    } finally {
      signal?.removeEventListener('abort', sleeper.wake);
      sleeper.wake();
      this.sleepers.delete(sleeper);
      this.batch.flush();
    }
  }

  // ---- The receive side ----

  /**
   * Consumes one DataProducer on the bot's recv transport (made by the first consume), and
   * waits until the DataConsumer is open. Counting starts at its first message. Through a
   * session without consumeData() but with onDataConsumer(), the app pushes its consumers:
   * this waits for the one of `dataProducerId` instead.
   */
  async consume(
    dataProducerId: string,
    { openBy, size }: { openBy?: number; size?: number } = {},
  ): Promise<BotConsumer> {
    this.check();
    const deadline = openBy ?? performance.now() + this.connectTimeoutMs;
    const transport = await this.ensureRecvTransport(Math.max(0, deadline - performance.now()));
    const signaling = this.signaling;
    const consumeData = signaling.consumeData?.bind(signaling);
    if (!consumeData) {
      if (this.pushes) return this.pushedConsumer(dataProducerId, deadline);
      throw new BotError('consume', 'consumeData: the signaling adapter has no consumeData()');
    }
    this.consuming.add(dataProducerId);
    let answer: ConsumeDataResult | undefined;
    let dataConsumer: DataConsumer | undefined;
    try {
      answer = await withTimeout(
        consumeData({ transportId: transport.id, dataProducerId }),
        Math.max(0, deadline - performance.now()),
        'consumeData',
      );
      dataConsumer = await transport.consumeData({ ...answer, appData: { botId: this.id } });
      const consumer = this.track(answer.id, dataProducerId, dataConsumer, size);
      await waitOpen(dataConsumer, Math.max(0, deadline - performance.now()));
      if (this.closed) throw new Error('the bot closed meanwhile');
      this.consumerMap.set(dataProducerId, consumer);
      this.metrics.counter('consumersOpened', 1, epochNow());
      return consumer;
    } catch (error) {
      dataConsumer?.close();
      const id = answer?.id;
      if (id !== undefined) {
        void signaling.closeDataConsumer?.({ dataConsumerId: id }).catch(() => undefined);
      }
      throw new BotError('consume', `consumeData: ${errorMessage(error)}`);
    } finally {
      this.consuming.delete(dataProducerId);
    }
  }

  /**
   * A DataConsumer the app pushed: consumed on the recv transport; resolves once it exists
   * (the app's answer), and counts it once it opens.
   */
  async acceptPushed(pushed: PushedDataConsumer): Promise<void> {
    // The app may push as soon as it answered createWebRtcTransport, before the bot made
    // the transport of that answer.
    if (this.creatingRecv) await this.creatingRecv.catch(() => undefined);
    const transport = this.recvTransport;
    if (!transport || transport.closed || this.closed) {
      throw new Error('the bot has no recv transport');
    }
    const dataConsumer = await transport.consumeData({
      id: pushed.id,
      dataProducerId: pushed.dataProducerId,
      sctpStreamParameters: pushed.sctpStreamParameters,
      label: pushed.label,
      protocol: pushed.protocol,
      appData: { ...pushed.appData, botId: this.id },
    });
    const consumer = this.track(pushed.id, pushed.dataProducerId, dataConsumer, undefined);
    this.consuming.add(pushed.dataProducerId);
    void waitOpen(dataConsumer, this.connectTimeoutMs).then(
      () => {
        this.consuming.delete(pushed.dataProducerId);
        if (this.closed || dataConsumer.closed) return;
        this.consumerMap.set(pushed.dataProducerId, consumer);
        this.metrics.counter('consumersOpened', 1, epochNow());
      },
      (error: unknown) => {
        this.consuming.delete(pushed.dataProducerId);
        if (!this.closed && !this.recvClosing) {
          this.failure ??= new BotError('consume', `consumeData: ${errorMessage(error)}`);
        }
      },
    );
  }

  /** Waits until the app has pushed a consumer of `dataProducerId` and it is open. */
  private async pushedConsumer(dataProducerId: string, deadline: number): Promise<BotConsumer> {
    const start = performance.now();
    for (;;) {
      this.check();
      const consumer = this.consumerMap.get(dataProducerId);
      if (consumer) return consumer;
      if (this.closed) throw new BotError('consume', 'consumeData: the bot closed meanwhile');
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new BotError(
          'consumeTimeout',
          `consumeData: the app pushed no open DataConsumer of DataProducer ${dataProducerId} within ${Math.round(performance.now() - start)} ms (the signaling session has no consumeData() to ask for one)`,
        );
      }
      await abortableSleep(Math.min(PUSH_POLL_MS, left), this.signal);
    }
  }

  /** Opens the recv transport (for an app that pushes consumers onto it). */
  async openRecv(timeoutMs: number = this.connectTimeoutMs): Promise<Transport> {
    this.check();
    return this.ensureRecvTransport(timeoutMs);
  }

  /** Counts a DataConsumer's messages from its first one (those before it opened are none of its). */
  private track(
    id: string,
    dataProducerId: string,
    dataConsumer: DataConsumer,
    size: number | undefined,
  ): BotConsumer {
    dataConsumer.binaryType = 'nodebuffer';
    this.checker.register(id, this.runId, {
      fromFirstArrival: true,
      ...(size !== undefined && { size }),
    });
    const consumer: BotConsumer = { id, dataProducerId, dataConsumer, received: 0 };
    dataConsumer.on('message', (message) => {
      consumer.received++;
      this.lastArrivalAt = performance.now();
      const data = typeof message === 'string' ? Buffer.from(message) : (message as Buffer);
      const latency = this.checker.record(id, data);
      if (typeof message !== 'string' && latency !== undefined) {
        this.metrics.histogram('latency', Math.max(0, latency));
      }
      this.batch.add('messagesReceived', 1);
      this.batch.add('bytesReceived', data.length);
    });
    return consumer;
  }

  private ensureRecvTransport(timeoutMs: number): Promise<Transport> {
    if (this.recvTransport && !this.recvTransport.closed) {
      return Promise.resolve(this.recvTransport);
    }
    this.creatingRecv ??= this.openTransport('recv', timeoutMs)
      .then((transport) => {
        this.recvTransport = transport;
        return transport;
      })
      .finally(() => {
        this.creatingRecv = undefined;
      });
    return this.creatingRecv;
  }

  /**
   * A transport of the bot's Device through the adapter, within `timeoutMs`, its signaling
   * answered and its connection counted. An answer that comes after the bot gave up is
   * closed on the server.
   */
  private async openTransport(
    direction: 'send' | 'recv',
    timeoutMs: number,
    checkParameters?: (params: WebRtcTransportParameters) => void,
  ): Promise<Transport> {
    const [step, kind, what] =
      direction === 'send'
        ? (['connect', 'connect', 'transport'] as const)
        : (['consumeData', 'consume', 'recv transport'] as const);
    const deadline = performance.now() + timeoutMs;
    let device: Device;
    let params: WebRtcTransportParameters | undefined;
    let adapter: SignalingSession = this.signaling;
    try {
      adapter = await withTimeout(this.ready(), timeoutMs, 'openSession');
      device = await withTimeout(this.loadDevice(), timeoutMs, 'getRouterRtpCapabilities');
      const request = adapter.createWebRtcTransport({
        sctpCapabilities: device.sctpCapabilities,
        // The send transport's request stays as adapters without a receive side know it.
        ...(direction === 'recv' && { direction }),
      });
      params = await withTimeout(
        request,
        Math.max(0, deadline - performance.now()),
        'createWebRtcTransport',
      ).catch((error: unknown) => {
        this.lateCleanups.push(
          request.then(
            ({ id }) => this.closeOnServer(id),
            () => undefined,
          ),
        );
        throw error;
      });
      if (this.stopping()) {
        this.lateCleanups.push(this.closeOnServer(params.id));
        throw new Error('the bot closed meanwhile');
      }
      if (direction === 'send') this.sendParameters = params;
      checkParameters?.(params);
    } catch (error) {
      this.metrics.counter('transportsFailed', 1, epochNow());
      if (!(error instanceof MessageTooLargeError) || !params) {
        throw new BotError(kind, `${step}: ${errorMessage(error)}`);
      }
      this.lateCleanups.push(this.closeOnServer(params.id));
      throw error;
    }
    const options = {
      ...params,
      signalingTimeout: Math.max(1, Math.ceil(timeoutMs)),
      appData: { botId: this.id },
    };
    const transport =
      direction === 'send'
        ? device.createSendTransport(options)
        : device.createRecvTransport(options);
    signalThrough(transport, adapter);
    let opened = false;
    transport.on('connectionstatechange', (state) => {
      const current = this.sendTransport === transport || this.recvTransport === transport;
      if (state === 'connected' && !opened) {
        opened = true;
        this.metrics.counter(
          direction === 'send' ? 'transportsOpened' : 'recvTransportsOpened',
          1,
          epochNow(),
        );
      } else if (state === 'failed' && !this.stopping() && current) {
        this.metrics.counter('transportsFailed', 1, epochNow());
        this.failure ??= new BotError('transport', `the ${what} connection failed`);
      }
    });
    return transport;
  }

  /** Asks the app to close its transport (bounded; a failure is a warning). */
  private closeOnServer(transportId: string): Promise<void> {
    const adapter = this.signaling;
    if (!adapter.closeTransport) return Promise.resolve();
    return settleWithin(
      (async () => adapter.closeTransport?.({ transportId }))().catch((error: unknown) => {
        this.warn('closeTransport', error);
      }),
      CLOSE_TIMEOUT_MS,
    );
  }

  private warn(method: string, error: unknown): void {
    if (!(error instanceof NotSupportedError)) {
      this.options.onWarning?.(`${method} failed: ${errorMessage(error)}`);
    }
  }

  /** The send transport's parameters as the app answered them (sctpParameters, ...). */
  get sendTransportParameters(): WebRtcTransportParameters | undefined {
    return this.sendParameters;
  }

  /**
   * Consumes the room's DataProducers of other bots, through the adapter's
   * listDataProducers and consumeData. Completes once `count` are consumed and open; with
   * `watch`, keeps consuming later ones.
   */
  async consumeRoom(options: BotRoomOptions): Promise<void> {
    this.check();
    const room = this.room;
    if (room === undefined) throw new BotError('scenario', 'consumeData: the bot has no room');
    await this.ensureRecvTransport(options.timeoutMs ?? this.connectTimeoutMs);
    const signaling = this.signaling;
    const pulls = typeof signaling.listDataProducers === 'function';
    const missing = (['listDataProducers', 'consumeData'] as const).filter(
      (method) => typeof signaling[method] !== 'function',
    );
    if (missing.length > 0 && !this.pushes) {
      throw new BotError(
        'consume',
        `consumeData: the signaling adapter has no ${missing.join('() or ')}()`,
      );
    }
    const timeoutMs = options.timeoutMs ?? this.connectTimeoutMs;
    const pollIntervalMs = options.pollIntervalMs ?? 500;
    const start = performance.now();
    const deadline = start + timeoutMs;
    this.stopWatching();
    for (;;) {
      if (pulls) await this.pollRoom(room, deadline);
      this.check();
      if (this.consumerMap.size >= options.count) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new BotError(
          'consumeTimeout',
          `consumeData: ${this.consumerMap.size} of ${options.count} producers of others in room ${JSON.stringify(room)} consumed after ${Math.round(performance.now() - start)} ms`,
        );
      }
      await abortableSleep(Math.min(pollIntervalMs, left), this.signal);
    }
    if (options.watch && pulls) this.watch(room, pollIntervalMs);
  }

  /** One look at the room: consumes its producers of others not consumed yet. */
  private async pollRoom(room: string, deadline: number): Promise<void> {
    const adapter = this.signaling;
    const list = (): Promise<{ id: string }[]> =>
      adapter.listDataProducers ? adapter.listDataProducers({ room }) : Promise.resolve([]);
    let producers: { id: string }[];
    try {
      producers = await list();
    } catch (error) {
      // An app that pushes its consumers need not list producers.
      if (error instanceof NotSupportedError && this.pushes) return;
      throw new BotError('consume', `consumeData: listDataProducers: ${errorMessage(error)}`);
    }
    const own = new Set(this.producerList.map(({ dataProducer }) => dataProducer.id));
    const fresh = producers.filter(
      ({ id }) => !own.has(id) && !this.consumerMap.has(id) && !this.consuming.has(id),
    );
    const results = await Promise.allSettled(
      fresh.map(({ id }) => this.consume(id, { openBy: deadline })),
    );
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      // A producer that closed meanwhile (its bot left) is no failure.
      const still = await list().catch(() => undefined);
      if (still && !still.some(({ id }) => id === fresh[i]?.id)) continue;
      throw result.reason;
    }
  }

  /** Consumes the room's later producers, every pollInterval, until the bot closes. */
  private watch(room: string, pollIntervalMs: number): void {
    this.watchTimer = setInterval(() => {
      if (this.polling || this.closed) return;
      const deadline = performance.now() + this.connectTimeoutMs;
      this.polling = this.pollRoom(room, deadline)
        .catch((error: unknown) => {
          if (!this.closed && !this.recvClosing) {
            this.failure ??=
              error instanceof BotError ? error : new BotError('consume', errorMessage(error));
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
   * every consumer has received every message up to `count` - 1 (counted from its first:
   * a consumer that opened late is not short of what was sent before), or (without count)
   * until none arrived for `idleMs`. What is still missing at the timeout is counted lost.
   */
  async waitForMessages(options: BotWaitOptions): Promise<void> {
    this.check();
    const start = performance.now();
    const deadline = start + options.timeoutMs;
    const idleMs = options.idleMs ?? 1000;
    try {
      while (
        performance.now() < deadline &&
        !this.stopping() &&
        this.producerList.some(({ dataProducer: p }) => !p.closed && p.bufferedAmount > 0)
      ) {
        await abortableSleep(20, this.signal);
      }
      this.lastArrivalAt = Math.max(this.lastArrivalAt, performance.now());
      for (;;) {
        this.check();
        const now = performance.now();
        const { count } = options;
        if (count === undefined) {
          if (now - this.lastArrivalAt >= idleMs || now >= deadline || this.stopping()) return;
        } else {
          const short = this.consumers.filter((c) => this.missing(c, count) > 0);
          if (short.length === 0) return;
          if (now >= deadline || this.stopping()) {
            const lost = short.reduce((n, c) => n + this.missing(c, count), 0);
            this.batch.add('messagesLost', lost);
            throw new BotError(
              'receiveTimeout',
              `waitForMessages: ${short.length} of ${this.consumerMap.size} consumers short of ${count} messages after ${Math.round(now - start)} ms: ${lost} counted lost`,
            );
          }
        }
        await abortableSleep(50, this.signal);
      }
    } finally {
      this.countArrivals();
    }
  }

  /** Messages of the first `count` a consumer should have and has not (from its first). */
  private missing(consumer: BotConsumer, count: number): number {
    const progress = this.checker.progress(consumer.id);
    if (progress?.firstSeq === undefined) return Math.max(0, count - consumer.received);
    return Math.max(0, count - progress.firstSeq - progress.messages + progress.outOfOrder);
  }

  /** Emits the arrivals, losses within the sequence and reorderings counted so far. */
  countArrivals(): void {
    let lost = 0;
    let outOfOrder = 0;
    let beforeOpen = 0;
    for (const consumer of this.consumerMap.values()) {
      const progress = this.checker.progress(consumer.id);
      if (!progress) continue;
      let seen = this.reported.get(consumer.id);
      if (!seen) {
        seen = { lost: 0, outOfOrder: 0, firstCounted: false };
        this.reported.set(consumer.id, seen);
      }
      if (!seen.firstCounted && progress.firstSeq !== undefined) {
        seen.firstCounted = true;
        beforeOpen += progress.firstSeq;
      }
      lost += progress.skipped - seen.lost;
      outOfOrder += progress.outOfOrder - seen.outOfOrder;
      seen.lost = progress.skipped;
      seen.outOfOrder = progress.outOfOrder;
    }
    // Even when none: a threshold on losses needs the counter to exist.
    if (this.consumerMap.size > 0 || lost > 0) this.batch.add('messagesLost', lost);
    if (outOfOrder > 0) this.batch.add('messagesOutOfOrder', outOfOrder);
    if (beforeOpen > 0) this.batch.add('messagesBeforeOpen', beforeOpen);
    this.batch.flush();
  }

  // ---- Closing ----

  /** Closes the consumers and the recv transport, here and on the server. */
  async closeRecv(): Promise<void> {
    this.stopWatching();
    this.recvClosing = true;
    try {
      await settleWithin(this.polling ?? Promise.resolve(), CLOSE_TIMEOUT_MS);
      await settleWithin(Promise.resolve(this.creatingRecv), CLOSE_TIMEOUT_MS);
      this.countArrivals();
      const consumers = [...this.consumerMap.values()];
      this.consumerMap.clear();
      for (const { dataConsumer } of consumers) dataConsumer.close();
      const transport = this.recvTransport;
      this.recvTransport = undefined;
      transport?.close();
      const adapter = this.signaling;
      if (transport && adapter.closeTransport) await this.closeOnServer(transport.id);
      else {
        await settleWithin(
          Promise.all(
            consumers.map(async ({ id }) =>
              adapter.closeDataConsumer?.({ dataConsumerId: id }).catch((error: unknown) => {
                this.warn('closeDataConsumer', error);
              }),
            ),
          ),
          CLOSE_TIMEOUT_MS,
        );
      }
    } finally {
      this.recvClosing = false;
    }
  }

  /**
   * Closes the producers without losing what they sent (closeWithoutLoss, bounded), then
   * the send transport, here and on the server. Keeps the Device.
   */
  async closeSend({ lossless = true }: { lossless?: boolean } = {}): Promise<void> {
    this.countConnectFailure();
    // A send waiting in the tick sees the close now, not when its next message is due.
    for (const sleeper of this.sleepers) sleeper.wake();
    const producers = this.producerList.splice(0);
    if (lossless) {
      await Promise.all(producers.map(({ dataProducer }) => closeWithoutLoss(dataProducer)));
    } else {
      for (const { dataProducer } of producers) dataProducer.close();
    }
    const transport = this.sendTransport;
    this.sendTransport = undefined;
    this.sendParameters = undefined;
    this.failure = undefined;
    transport?.close();
    if (transport) await this.closeOnServer(transport.id);
  }

  /** The consumers and the recv transport, then the producers and the send transport. */
  async closeAll(options?: { lossless?: boolean }): Promise<void> {
    await this.closeRecv();
    await this.closeSend(options);
  }

  /** Everything the bot opened, and the adapter when it is the bot's own. Idempotent. */
  async close(options?: { lossless?: boolean }): Promise<void> {
    if (this.closed) return;
    await this.closeAll(options);
    this.closed = true;
    // Before the adapter closes: a late answer's transport is closed on the server too.
    await settleWithin(Promise.allSettled(this.lateCleanups), CLOSE_TIMEOUT_MS);
    await settleWithin(Promise.resolve(this.openingSession), CLOSE_TIMEOUT_MS);
    const session = this.session;
    if (session?.close) await settleWithin((async () => session.close?.())(), CLOSE_TIMEOUT_MS);
    if (this.options.ownsAdapter && this.adapter.close) {
      await settleWithin((async () => this.adapter.close?.())(), CLOSE_TIMEOUT_MS);
    }
  }
}

import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { InvalidStateError, messageOf, OperationError } from './errors.js';
import { Logger } from './Logger.js';
import type { NativeChannel } from './handlers/HandlerInterface.js';
import type { AppData, SctpStreamParameters } from './types.js';
import { isPlainObject, isUint, validateTimeout } from './validation.js';

const logger = new Logger('DataProducer');

/** What `transport.produceData()` takes. */
export interface DataProducerOptions<DataProducerAppData extends AppData = AppData> {
  /** Default true; false when maxPacketLifeTime or maxRetransmits is given. */
  ordered?: boolean;
  /** Milliseconds a message may be retransmitted for (0–65535). Excludes maxRetransmits. */
  maxPacketLifeTime?: number;
  /** How many times a message may be retransmitted (0–65535). Excludes maxPacketLifeTime. */
  maxRetransmits?: number;
  /**
   * As older mediasoup-client (RTCDataChannel's priority): checked, then ignored, since
   * libdatachannel schedules every stream alike.
   */
  priority?: 'very-low' | 'low' | 'medium' | 'high';
  /** Default ''. At most 65535 UTF-8 bytes. */
  label?: string;
  /** Default ''. At most 65535 UTF-8 bytes. */
  protocol?: string;
  /** Default {}. */
  appData?: DataProducerAppData;
  /**
   * Bytes that `send()` may hold before it throws OperationError instead of queueing more.
   * Default 16 MiB.
   */
  maxBufferedAmount?: number;
}

export type DataProducerReadyState = 'connecting' | 'open' | 'closing' | 'closed';

/** What `dataProducer.closeGracefully()` and `transport.closeGracefully()` take. */
export interface CloseGracefullyOptions {
  /**
   * Milliseconds to wait for the router's confirmation before closing anyway. Default 5000.
   */
  timeout?: number;
}

export const DEFAULT_CLOSE_GRACEFULLY_TIMEOUT_MS = 5000;

export type DataProducerEvents = {
  transportclose: [];
  open: [];
  error: [Error];
  close: [];
  bufferedamountlow: [];
};

export type DataProducerObserverEvents = {
  close: [];
};

/** What `send()` takes, as RTCDataChannel.send() does. */
export type DataProducerSendData = string | ArrayBuffer | ArrayBufferView | Blob;

export const DEFAULT_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;

/** A message accepted by `send()` that the native channel does not have yet. */
interface Pending {
  data: string | Uint8Array | undefined;
  size: number;
  /** Set while a Blob is being read: the message keeps its place in the order. */
  reading?: Promise<void>;
}

/** Internal wiring from the Transport; not part of the public API. */
export interface DataProducerInternal {
  /** The router's DataProducer id. */
  id: string;
  /** Undefined when the transport failed before the channel could be made: it fails at once. */
  channel: NativeChannel | undefined;
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
  appData: AppData;
  maxMessageSize: number;
  maxBufferedAmount: number;
  /** Runs its callback once the transport has reported 'connected': `open` never comes first. */
  whenConnected: (fn: () => void) => void;
  /** Called once, when the producer is closed for whatever reason: its stream id may be reused. */
  onShutDown: () => void;
  /**
   * Resets our side of the stream after what the channel holds, keeping the channel open
   * (HandlerDataChannel.resetOutgoing()). Throws OperationError when the native stack refuses.
   */
  resetOutgoing: () => void;
}

/** A `closeGracefully()` under way. */
interface GracefulClose {
  resolve: (confirmed: boolean) => void;
  timer: NodeJS.Timeout;
  /** Our side of the stream has been reset: the router's answering reset confirms. */
  resetSent: boolean;
}

export class DataProducer<
  DataProducerAppData extends AppData = AppData,
> extends EnhancedEventEmitter<DataProducerEvents> {
  private readonly _id: string;
  private _channel: NativeChannel | undefined;
  private readonly _sctpStreamParameters: SctpStreamParameters;
  private readonly _label: string;
  private readonly _protocol: string;
  private _appData: DataProducerAppData;
  private readonly _maxMessageSize: number;
  private readonly _maxBufferedAmount: number;
  private readonly _whenConnected: (fn: () => void) => void;
  private readonly _onShutDown: () => void;
  private readonly _resetOutgoing: () => void;
  private _graceful: GracefulClose | undefined;
  /** The first closeGracefully()'s promise, for every later call (during it and after). */
  private _gracefulResult: Promise<boolean> | undefined;
  private readonly _observer = new EnhancedEventEmitter<DataProducerObserverEvents>();
  private _closed = false;
  private _readyState: DataProducerReadyState = 'connecting';
  private _nativeOpen = false;
  private _openEmitted = false;
  private _queue: Pending[] = [];
  private _queuedBytes = 0;
  private _threshold = 0;
  private _messagesSent = 0;
  private _bytesSent = 0;

  /**
   * Not for apps: `transport.produceData()` creates it once the router has answered (as in
   * mediasoup-client, the constructor keeps its signature in the published types, so that
   * `new DataProducer()` stays a type error).
   */
  constructor(internal: DataProducerInternal) {
    super();
    this._id = internal.id;
    this._channel = internal.channel;
    this._sctpStreamParameters = internal.sctpStreamParameters;
    this._label = internal.label;
    this._protocol = internal.protocol;
    this._appData = internal.appData as DataProducerAppData;
    this._maxMessageSize = internal.maxMessageSize;
    this._maxBufferedAmount = internal.maxBufferedAmount;
    this._whenConnected = internal.whenConnected;
    this._onShutDown = internal.onShutDown;
    this._resetOutgoing = internal.resetOutgoing;
    const channel = internal.channel;
    if (!channel) return;
    // Registered before isOpen() is read: a channel on a live association may open
    // inside createDataChannel(), before any callback could be set.
    channel.onOpen(() => {
      this.handleNativeOpen();
    });
    channel.onError((message) => {
      this.handleNativeError(new Error(message));
    });
    channel.onBufferedAmountLow(() => {
      this.handleNativeBufferedAmountLow();
    });
    if (channel.isOpen()) this._nativeOpen = true;
    // Native callbacks reach this thread only after produceData() has resolved; an open
    // that happened before is reported as late, so that a listener attached right after
    // `await produceData()` sees it.
    setImmediate(() => {
      if (this._nativeOpen) this.handleNativeOpen();
    });
  }

  /** The router's DataProducer id, from the `producedata` callback. */
  get id(): string {
    return this._id;
  }

  get closed(): boolean {
    return this._closed;
  }

  get sctpStreamParameters(): SctpStreamParameters {
    return { ...this._sctpStreamParameters };
  }

  get readyState(): DataProducerReadyState {
    return this._readyState;
  }

  get label(): string {
    return this._label;
  }

  get protocol(): string {
    return this._protocol;
  }

  /**
   * Bytes accepted by `send()` and not yet handed to SCTP: libdatachannel's own queue
   * plus what this layer holds (messages sent before open, Blobs being read).
   */
  get bufferedAmount(): number {
    const channel = this._channel;
    return (channel && !this._closed ? channel.bufferedAmount() : 0) + this._queuedBytes;
  }

  get bufferedAmountLowThreshold(): number {
    return this._threshold;
  }

  set bufferedAmountLowThreshold(value: number) {
    if (!isUint(value)) {
      throw new TypeError('bufferedAmountLowThreshold must be an integer >= 0');
    }
    this._threshold = value;
    this._channel?.setBufferedAmountLowThreshold(value);
  }

  get appData(): DataProducerAppData {
    return this._appData;
  }

  set appData(appData: DataProducerAppData) {
    this._appData = appData;
  }

  get observer(): EnhancedEventEmitter<DataProducerObserverEvents> {
    return this._observer;
  }

  /**
   * Closes the producer at once: its SCTP stream is reset. Emits no `close` event. Messages
   * still in flight arrive if the transport stays open; use `closeGracefully()` to know.
   */
  close(): void {
    if (this._closed) return;
    logger.debug('close() [id:%s]', this._id);
    this.shutDown();
    this.emitClosed([]);
  }

  /**
   * Closes the producer once the router has every message accepted by `send()`, as
   * RTCDataChannel.close() does ('closing' until the stream reset completes), within
   * `timeout` ms. `readyState` is 'closing' meanwhile, and `send()` throws
   * InvalidStateError. Our side of the stream is reset after the last message; SCTP performs
   * that reset only once the router has received everything before it, and a router that
   * answers resets (mediasoup 3.8, usrsctp) then resets its side, which confirms. Then, or at
   * the timeout, the producer closes as by `close()` (no `close` event, observer `close`).
   *
   * Resolves with true when the router confirmed (at once when nothing was ever sent), false
   * when the timeout came first (always
   * the case with mediasoup >= 3.20, which does not answer resets on a DataProducer's stream:
   * what was sent is still delivered as long as the transport stays open), or when the
   * producer was closed otherwise meanwhile (`close()`, its transport closed or failed). Never
   * rejects but with TypeError for bad options. A second call returns the first call's
   * promise; a call on a producer already closed otherwise resolves with false.
   */
  closeGracefully(options: CloseGracefullyOptions = {}): Promise<boolean> {
    if (!isPlainObject(options)) {
      throw new TypeError('closeGracefully() options must be a plain object');
    }
    const timeout = validateTimeout(
      options.timeout,
      'timeout',
      DEFAULT_CLOSE_GRACEFULLY_TIMEOUT_MS,
    );
    if (this._gracefulResult) return this._gracefulResult;
    if (this._closed) return Promise.resolve(false);
    logger.debug('closeGracefully() [id:%s, timeout:%d]', this._id, timeout);
    let resolve!: (confirmed: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    const timer = setTimeout(() => {
      logger.debug('closeGracefully() timed out [id:%s]', this._id);
      this.finishGracefully(false);
    }, timeout);
    this._graceful = { resolve, timer, resetSent: false };
    this._gracefulResult = promise;
    this._readyState = 'closing';
    // Before open, the reset follows the flush that the open makes.
    if (this._openEmitted) this.resetWhenFlushed();
    return promise;
  }

  /**
   * Sends a message: a string goes with PPID 51 (56 when empty), binary data with 53 (57
   * when empty). Throws TypeError for data that is not a message or larger than the
   * router accepts, InvalidStateError after close, and OperationError when it would
   * buffer more than `maxBufferedAmount` bytes.
   */
  send(data: DataProducerSendData): void {
    if (this._closed) throw new InvalidStateError('DataProducer is closed');
    if (this._graceful) throw new InvalidStateError('DataProducer is closing');
    let payload: string | Uint8Array;
    let size: number;
    if (typeof data === 'string') {
      payload = data;
      size = data.length === 0 ? 0 : Buffer.byteLength(data, 'utf8');
    } else if (data instanceof Uint8Array) {
      payload = data;
      size = data.byteLength;
    } else if (data instanceof ArrayBuffer) {
      payload = new Uint8Array(data);
      size = data.byteLength;
    } else if (ArrayBuffer.isView(data)) {
      payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      size = data.byteLength;
    } else if (data instanceof Blob) {
      this.sendBlob(data);
      return;
    } else {
      throw new TypeError('data must be a string, Buffer, ArrayBuffer, ArrayBufferView or Blob');
    }
    this.checkSize(size);
    const channel = this._channel;
    if (this._readyState === 'open' && this._queue.length === 0 && channel) {
      if (channel.bufferedAmount() + size > this._maxBufferedAmount) this.throwFull(size);
      try {
        this.sendNative(channel, payload, size);
      } catch (error) {
        // The native channel is already closed (the router reset the stream) but its
        // close callback has not reached this thread yet: `close` follows.
        throw new InvalidStateError(`DataProducer is closing: ${messageOf(error)}`);
      }
      return;
    }
    if (this.bufferedAmount + size > this._maxBufferedAmount) this.throwFull(size);
    // Copied, as RTCDataChannel.send() does: the caller may reuse its buffer at once.
    this._queue.push({
      data: typeof payload === 'string' ? payload : new Uint8Array(payload),
      size,
    });
    this._queuedBytes += size;
  }

  /** @internal Numbers for `transport.getStats()`. */
  get stats(): { messagesSent: number; bytesSent: number } {
    return { messagesSent: this._messagesSent, bytesSent: this._bytesSent };
  }

  /**
   * @internal libdatachannel closed the channel: the router reset its side of the stream
   * (its DataProducer was closed, or it answered ours) or the association is gone.
   */
  channelClosed(byStreamReset = false): void {
    if (this._closed) return;
    logger.debug('channel closed remotely [id:%s, byStreamReset:%s]', this._id, byStreamReset);
    if (this._graceful) {
      this.finishGracefully(byStreamReset && this._graceful.resetSent);
      return;
    }
    this.fail('DataProducer closed before it opened');
  }

  /** @internal The transport was closed by the user. */
  transportClosed(): void {
    if (this._closed) return;
    logger.debug('transportClosed() [id:%s]', this._id);
    this.shutDown();
    this.emitClosed(['transportclose']);
  }

  /** @internal The transport failed: the producer is closed as if its channel had. */
  transportFailed(): void {
    if (this._closed) return;
    logger.debug('transportFailed() [id:%s]', this._id);
    if (this._graceful) {
      this.finishGracefully(false);
      return;
    }
    this.fail('DataProducer could not connect: the transport failed');
  }

  /**
   * Once this layer holds nothing more (Blobs being read are sent first), resets our side of
   * the stream behind the last message. Called from closeGracefully() when open, and after
   * each flush() while closing.
   */
  private resetWhenFlushed(): void {
    const graceful = this._graceful;
    if (!graceful || graceful.resetSent || this._queue.length > 0 || this._closed) return;
    // Nothing was ever handed to SCTP: there is nothing the router could miss.
    if (this._messagesSent === 0) {
      this.finishGracefully(true);
      return;
    }
    graceful.resetSent = true;
    try {
      this._resetOutgoing();
    } catch (error) {
      logger.warn('could not reset the stream [id:%s]: %s', this._id, messageOf(error));
      this.finishGracefully(false);
    }
  }

  /** Ends a closeGracefully(): closes as close() does and resolves its promise. */
  private finishGracefully(confirmed: boolean): void {
    const graceful = this._graceful;
    if (!graceful || this._closed) return;
    logger.debug('closeGracefully() done [id:%s, confirmed:%s]', this._id, confirmed);
    this._graceful = undefined;
    clearTimeout(graceful.timer);
    this.shutDown();
    this.emitClosed([]);
    graceful.resolve(confirmed);
  }

  /** Closed without the user asking: `error` first if it never opened, then `close`. */
  private fail(neverOpenedMessage: string): void {
    const neverOpened = !this._openEmitted;
    this.shutDown();
    if (neverOpened) this.safeEmit('error', new Error(neverOpenedMessage));
    this.emitClosed(['close']);
  }

  private sendBlob(blob: Blob): void {
    this.checkSize(blob.size);
    if (this.bufferedAmount + blob.size > this._maxBufferedAmount) this.throwFull(blob.size);
    const pending: Pending = { data: undefined, size: blob.size };
    pending.reading = blob.arrayBuffer().then(
      (buffer) => {
        pending.data = new Uint8Array(buffer);
        pending.reading = undefined;
        this.flush();
      },
      (error: unknown) => {
        // close() may have emptied the queue meanwhile: then there is nothing to drop.
        if (this._closed) return;
        // The message cannot be sent: drop it from the queue and say so.
        this._queue = this._queue.filter((p) => p !== pending);
        this._queuedBytes -= pending.size;
        this.safeEmit('error', new Error(`could not read Blob: ${messageOf(error)}`));
        this.flush();
      },
    );
    this._queue.push(pending);
    this._queuedBytes += blob.size;
  }

  private checkSize(size: number): void {
    if (size > this._maxMessageSize) {
      throw new TypeError(
        `message of ${size} bytes is larger than the router accepts (at most ${this._maxMessageSize} bytes)`,
      );
    }
  }

  private throwFull(size: number): never {
    throw new OperationError(
      `cannot buffer ${size} more bytes: bufferedAmount would exceed maxBufferedAmount ` +
        `(${this._maxBufferedAmount} bytes); wait for 'bufferedamountlow'`,
    );
  }

  private sendNative(channel: NativeChannel, payload: string | Uint8Array, size: number): void {
    if (typeof payload === 'string') channel.sendMessage(payload);
    else channel.sendMessageBinary(payload);
    this._messagesSent++;
    this._bytesSent += size;
  }

  /**
   * Hands queued messages to the native channel, in order, up to a Blob still being read.
   * A message the native channel refuses is dropped with an `error`, never left at the head
   * of the queue: nothing else would flush again, and every later send() would queue behind
   * it until the producer is full.
   */
  private flush(): void {
    const channel = this._channel;
    if (this._closed || !channel || !this._openEmitted) return;
    const before = this.bufferedAmount;
    let done = 0;
    for (const pending of this._queue) {
      if (pending.data === undefined) break;
      done++;
      this._queuedBytes -= pending.size;
      try {
        this.sendNative(channel, pending.data, pending.size);
      } catch (error) {
        logger.error('flush() could not send a message [id:%s]: %o', this._id, error);
        this.handleNativeError(
          new Error(`a queued message of ${pending.size} bytes was dropped: ${messageOf(error)}`),
        );
        // An error listener may have closed the producer, which emptied the queue.
        if (this.closed) return;
        // A channel that is no longer open refuses the rest too; its close callback is on
        // its way and closes the producer, which drops them.
        if (!channel.isOpen()) break;
      }
    }
    if (done > 0) this._queue = this._queue.slice(done);
    if (before > this._threshold && this.bufferedAmount <= this._threshold) {
      this.safeEmit('bufferedamountlow');
    }
    this.resetWhenFlushed();
  }

  private handleNativeOpen(): void {
    this._nativeOpen = true;
    if (this._closed || this._openEmitted) return;
    this._whenConnected(() => {
      this.emitOpen();
    });
  }

  private emitOpen(): void {
    if (this._closed || this._openEmitted) return;
    this._openEmitted = true;
    // A closeGracefully() before open keeps 'closing'; the flush below then resets the stream.
    if (!this._graceful) this._readyState = 'open';
    logger.debug('open [id:%s, streamId:%d]', this._id, this._sctpStreamParameters.streamId);
    this.flush();
    // As RTCDataChannel: a channel closed while connecting never reports open.
    if (this._readyState === 'open') this.safeEmit('open');
  }

  private handleNativeError(error: Error): void {
    if (this._closed) return;
    logger.warn('channel error [id:%s]: %s', this._id, error.message);
    this.safeEmit('error', error);
  }

  private handleNativeBufferedAmountLow(): void {
    // While this layer still holds messages, flush() decides when the total is low.
    if (this._closed || this._queuedBytes > 0) return;
    // The native report reaches this thread late: sends made meanwhile may have raised the
    // amount above the threshold again. Then it is not low, and the native stack reports
    // again when it next drains to the threshold.
    if (this.bufferedAmount > this._threshold) return;
    this.safeEmit('bufferedamountlow');
  }

  /** Closes the native channel (a stream reset) and drops every reference to it. */
  private shutDown(): void {
    const graceful = this._graceful;
    this._graceful = undefined;
    if (graceful) {
      clearTimeout(graceful.timer);
      // close(), transportclose, a failure: closed without the router's confirmation.
      graceful.resolve(false);
    }
    this._closed = true;
    this._readyState = 'closed';
    this._queue = [];
    this._queuedBytes = 0;
    const channel = this._channel;
    this._channel = undefined;
    if (channel) {
      try {
        channel.close();
      } catch (error) {
        logger.warn('channel.close() failed [id:%s]: %o', this._id, error);
      }
    }
    this._onShutDown();
  }

  private emitClosed(events: ('close' | 'transportclose')[]): void {
    for (const event of events) this.safeEmit(event);
    this._observer.safeEmit('close');
  }
}

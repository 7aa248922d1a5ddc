import {
  DataEndpoint,
  type DataEndpointEvents,
  type DataEndpointInternal,
  type DataEndpointObserverEvents,
  type DataEndpointReadyState,
} from './DataEndpoint.js';
import { InvalidStateError, messageOf } from './errors.js';
import { Logger } from './Logger.js';
import type { NativeChannel } from './handlers/HandlerInterface.js';
import { bufferFullError, SendQueue } from './SendQueue.js';
import type { AppData } from './types.js';
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

export type DataProducerReadyState = DataEndpointReadyState;

/** What `dataProducer.closeGracefully()` and `transport.closeGracefully()` take. */
export interface CloseGracefullyOptions {
  /**
   * Milliseconds to wait for the router's confirmation before closing anyway. Default 5000.
   */
  timeout?: number;
}

export const DEFAULT_CLOSE_GRACEFULLY_TIMEOUT_MS = 5000;

export type DataProducerEvents = DataEndpointEvents & {
  bufferedamountlow: [];
};

export type DataProducerObserverEvents = DataEndpointObserverEvents;

/** What `send()` takes, as RTCDataChannel.send() does. */
export type DataProducerSendData = string | ArrayBuffer | ArrayBufferView | Blob;

export const DEFAULT_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;

/** Internal wiring from the Transport; not part of the public API. */
export interface DataProducerInternal extends DataEndpointInternal {
  maxMessageSize: number;
  maxBufferedAmount: number;
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

export class DataProducer<DataProducerAppData extends AppData = AppData> extends DataEndpoint<
  DataProducerAppData,
  DataProducerEvents
> {
  private readonly _maxMessageSize: number;
  private readonly _resetOutgoing: () => void;
  private readonly _queue: SendQueue;
  private _graceful: GracefulClose | undefined;
  /** The first closeGracefully()'s promise, for every later call (during it and after). */
  private _gracefulResult: Promise<boolean> | undefined;
  private _messagesSent = 0;
  private _bytesSent = 0;

  /**
   * Not for apps: `transport.produceData()` creates it once the router has answered (as in
   * mediasoup-client, the constructor keeps its signature in the published types, so that
   * `new DataProducer()` stays a type error).
   */
  constructor(internal: DataProducerInternal) {
    super(internal, 'DataProducer', logger);
    this._maxMessageSize = internal.maxMessageSize;
    this._resetOutgoing = internal.resetOutgoing;
    this._queue = new SendQueue(
      {
        nativeBufferedAmount: () => {
          const channel = this._channel;
          return channel && !this._closed ? channel.bufferedAmount() : 0;
        },
        sendNative: (channel, payload, size) => {
          this.sendNative(channel, payload, size);
        },
        dropped: (error) => {
          this.handleNativeError(error);
        },
        bufferedAmountLow: () => {
          this.safeEmit('bufferedamountlow');
        },
        flushed: () => {
          this.resetWhenFlushed();
        },
      },
      internal.maxBufferedAmount,
    );
  }

  /**
   * Bytes accepted by `send()` and not yet handed to SCTP: libdatachannel's own queue
   * plus what this layer holds (messages sent before open, Blobs being read).
   */
  get bufferedAmount(): number {
    return this._queue.bufferedAmount;
  }

  get bufferedAmountLowThreshold(): number {
    return this._queue.threshold;
  }

  set bufferedAmountLowThreshold(value: number) {
    if (!isUint(value)) {
      throw new TypeError('bufferedAmountLowThreshold must be an integer >= 0');
    }
    this._queue.threshold = value;
    this._channel?.setBufferedAmountLowThreshold(value);
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
    logger.debug('closeGracefully() [id:%s, timeout:%d]', this.id, timeout);
    let resolve!: (confirmed: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    const timer = setTimeout(() => {
      logger.debug('closeGracefully() timed out [id:%s]', this.id);
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
      this.checkSize(data.size);
      this._queue.pushBlob(data);
      return;
    } else {
      throw new TypeError('data must be a string, Buffer, ArrayBuffer, ArrayBufferView or Blob');
    }
    this.checkSize(size);
    const channel = this._channel;
    const queue = this._queue;
    // The path of almost every message: open, nothing held here, straight to the channel.
    if (this._readyState === 'open' && queue.length === 0 && channel) {
      if (channel.bufferedAmount() + size > queue.maxBufferedAmount) {
        throw bufferFullError(size, queue.maxBufferedAmount);
      }
      try {
        this.sendNative(channel, payload, size);
      } catch (error) {
        // The native channel is already closed (the router reset the stream) but its
        // close callback has not reached this thread yet: `close` follows.
        throw new InvalidStateError(`DataProducer is closing: ${messageOf(error)}`);
      }
      return;
    }
    queue.push(payload, size);
  }

  /** @internal Numbers for `transport.getStats()`. */
  get stats(): { messagesSent: number; bytesSent: number } {
    return { messagesSent: this._messagesSent, bytesSent: this._bytesSent };
  }

  /**
   * @internal libdatachannel closed the channel: the router reset its side of the stream
   * (its DataProducer was closed, or it answered ours) or the association is gone.
   */
  override channelClosed(byStreamReset = false): void {
    const graceful = this._graceful;
    if (graceful && !this._closed) {
      logger.debug(
        'channel closed while closing [id:%s, byStreamReset:%s]',
        this.id,
        byStreamReset,
      );
      this.finishGracefully(byStreamReset && graceful.resetSent);
      return;
    }
    super.channelClosed(byStreamReset);
  }

  /** @internal The transport failed: the producer is closed as if its channel had. */
  override transportFailed(): void {
    if (this._graceful && !this._closed) {
      logger.debug('transportFailed() while closing [id:%s]', this.id);
      this.finishGracefully(false);
      return;
    }
    super.transportFailed();
  }

  /** @internal */
  protected listen(channel: NativeChannel): void {
    channel.onBufferedAmountLow(() => {
      if (!this._closed) this._queue.nativeBufferedAmountLow();
    });
  }

  /** @internal */
  protected opened(): void {
    // A closeGracefully() before open keeps 'closing'; the flush below then resets the stream.
    if (!this._graceful) this._readyState = 'open';
    // _openEmitted is set, so a channel is there.
    if (this._channel) this._queue.start(this._channel);
    // As RTCDataChannel: a channel closed while connecting never reports open.
    if (this._readyState === 'open') this.safeEmit('open');
  }

  /** @internal Also ends a closeGracefully() (unconfirmed) and drops what this layer holds. */
  protected override shutDown(): void {
    const graceful = this._graceful;
    this._graceful = undefined;
    if (graceful) {
      clearTimeout(graceful.timer);
      // close(), transportclose, a failure: closed without the router's confirmation.
      graceful.resolve(false);
    }
    this._queue.clear();
    super.shutDown();
  }

  /**
   * Once this layer holds nothing more (Blobs being read are sent first), resets our side of
   * the stream behind the last message. Called from closeGracefully() when open, and after
   * each flush while closing.
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
      logger.warn('could not reset the stream [id:%s]: %s', this.id, messageOf(error));
      this.finishGracefully(false);
    }
  }

  /** Ends a closeGracefully(): closes as close() does and resolves its promise. */
  private finishGracefully(confirmed: boolean): void {
    const graceful = this._graceful;
    if (!graceful || this._closed) return;
    logger.debug('closeGracefully() done [id:%s, confirmed:%s]', this.id, confirmed);
    this._graceful = undefined;
    clearTimeout(graceful.timer);
    this.shutDown();
    this.emitClosed([]);
    graceful.resolve(confirmed);
  }

  private checkSize(size: number): void {
    if (size > this._maxMessageSize) {
      throw new TypeError(
        `message of ${size} bytes is larger than the router accepts (at most ${this._maxMessageSize} bytes)`,
      );
    }
  }

  private sendNative(channel: NativeChannel, payload: string | Uint8Array, size: number): void {
    if (typeof payload === 'string') channel.sendMessage(payload);
    else channel.sendMessageBinary(payload);
    this._messagesSent++;
    this._bytesSent += size;
  }
}

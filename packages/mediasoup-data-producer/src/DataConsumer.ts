import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { Logger } from './Logger.js';
import type { NativeChannel } from './handlers/HandlerInterface.js';
import type { AppData, SctpStreamParameters } from './types.js';
import { describeValue, isBinaryType, isPlainObject } from './validation.js';

const logger = new Logger('DataConsumer');

/** What `transport.consumeData()` takes: what the router's DataConsumer tells. */
export interface DataConsumerOptions<
  DataConsumerAppData extends AppData = AppData,
  BinaryType extends DataConsumerBinaryType = DataConsumerBinaryType,
> {
  /** The router's DataConsumer id. */
  id: string;
  /** The id of the DataProducer it consumes. */
  dataProducerId: string;
  /**
   * The router's `dataConsumer.sctpStreamParameters`: the stream id is the router's choice.
   * Typed loosely, as mediasoup types that getter (undefined for a DataConsumer of type
   * 'direct') and mediasoup-client its own (`streamId` optional), so that either passes as it
   * is; without an object and its `streamId`, consumeData() rejects with TypeError.
   */
  sctpStreamParameters:
    (Omit<SctpStreamParameters, 'streamId'> & { streamId?: number }) | undefined;
  /** Default ''. At most 65535 UTF-8 bytes. */
  label?: string;
  /** Default ''. At most 65535 UTF-8 bytes. */
  protocol?: string;
  /** Default {}. */
  appData?: DataConsumerAppData;
  /**
   * The DataConsumer's first `binaryType` (default 'arraybuffer'). Given here, it also types
   * the `message` event: with 'arraybuffer' a message is `string | ArrayBuffer`.
   */
  binaryType?: BinaryType;
}

export type DataConsumerReadyState = 'connecting' | 'open' | 'closing' | 'closed';

/**
 * How binary messages are given: as in browsers `'arraybuffer'` (the default) or `'blob'`,
 * and `'nodebuffer'` for a Node.js Buffer (no copy).
 */
export type DataConsumerBinaryType = 'arraybuffer' | 'blob' | 'nodebuffer';

/** The binary message of each `binaryType`. */
export type DataConsumerBinaryMessage<BinaryType extends DataConsumerBinaryType> =
  BinaryType extends 'nodebuffer' ? Buffer : BinaryType extends 'blob' ? Blob : ArrayBuffer;

/**
 * A received message: a string, or binary data as `binaryType` says (with `binaryType`
 * given to `consumeData()`, that one type).
 */
export type DataConsumerMessage<
  BinaryType extends DataConsumerBinaryType = DataConsumerBinaryType,
> = string | DataConsumerBinaryMessage<BinaryType>;

export type DataConsumerEvents<BinaryType extends DataConsumerBinaryType = DataConsumerBinaryType> =
  {
    transportclose: [];
    open: [];
    error: [Error];
    close: [];
    message: [DataConsumerMessage<BinaryType>];
  };

export type DataConsumerObserverEvents = {
  close: [];
};

/** Internal wiring from the Transport; not part of the public API. */
export interface DataConsumerInternal {
  id: string;
  dataProducerId: string;
  /** Undefined when the transport failed before the channel could be used: it fails at once. */
  channel: NativeChannel | undefined;
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
  appData: AppData;
  binaryType: DataConsumerBinaryType;
  /** Runs its callback once the transport has reported 'connected': `open` never comes first. */
  whenConnected: (fn: () => void) => void;
  /** Called once, when the consumer is closed for whatever reason: its stream id is freed. */
  onShutDown: () => void;
}

export class DataConsumer<
  DataConsumerAppData extends AppData = AppData,
  BinaryType extends DataConsumerBinaryType = DataConsumerBinaryType,
> extends EnhancedEventEmitter<DataConsumerEvents<BinaryType>> {
  private readonly _id: string;
  private readonly _dataProducerId: string;
  private _channel: NativeChannel | undefined;
  private readonly _sctpStreamParameters: SctpStreamParameters;
  private readonly _label: string;
  private readonly _protocol: string;
  private _appData: DataConsumerAppData;
  private readonly _whenConnected: (fn: () => void) => void;
  private readonly _onShutDown: () => void;
  private readonly _observer = new EnhancedEventEmitter<DataConsumerObserverEvents>();
  private _closed = false;
  private _readyState: DataConsumerReadyState = 'connecting';
  private _openEmitted = false;
  private _binaryType: BinaryType;
  private _messagesReceived = 0;
  private _bytesReceived = 0;

  /**
   * Not for apps: `transport.consumeData()` creates it (as in mediasoup-client, the
   * constructor keeps its signature in the published types, so that `new DataConsumer()`
   * stays a type error).
   */
  constructor(internal: DataConsumerInternal) {
    super();
    this._id = internal.id;
    this._dataProducerId = internal.dataProducerId;
    this._channel = internal.channel;
    this._sctpStreamParameters = internal.sctpStreamParameters;
    this._label = internal.label;
    this._protocol = internal.protocol;
    this._appData = internal.appData as DataConsumerAppData;
    this._binaryType = internal.binaryType as BinaryType;
    this._whenConnected = internal.whenConnected;
    this._onShutDown = internal.onShutDown;
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
    // The one listener on the receive path: libdatachannel keeps what arrived before it.
    channel.onMessage((message) => {
      this.handleNativeMessage(message);
    });
    // An open that happened before consumeData() resolved is reported late, so that a
    // listener attached right after `await consumeData()` sees it.
    const openAlready = channel.isOpen();
    setImmediate(() => {
      if (openAlready) this.handleNativeOpen();
    });
  }

  /** The router's DataConsumer id. */
  get id(): string {
    return this._id;
  }

  get dataProducerId(): string {
    return this._dataProducerId;
  }

  get closed(): boolean {
    return this._closed;
  }

  get sctpStreamParameters(): SctpStreamParameters {
    return { ...this._sctpStreamParameters };
  }

  get readyState(): DataConsumerReadyState {
    return this._readyState;
  }

  get label(): string {
    return this._label;
  }

  get protocol(): string {
    return this._protocol;
  }

  get binaryType(): BinaryType {
    return this._binaryType;
  }

  set binaryType(binaryType: BinaryType) {
    if (!isBinaryType(binaryType)) {
      throw new TypeError(
        `binaryType must be 'arraybuffer', 'blob' or 'nodebuffer', got ${describeValue(binaryType)}`,
      );
    }
    this._binaryType = binaryType;
  }

  get appData(): DataConsumerAppData {
    return this._appData;
  }

  set appData(appData: DataConsumerAppData) {
    if (!isPlainObject(appData)) throw new TypeError('appData must be a plain object');
    this._appData = appData;
  }

  get observer(): EnhancedEventEmitter<DataConsumerObserverEvents> {
    return this._observer;
  }

  /** Closes the consumer: its SCTP stream is reset. Emits no `close` event. */
  close(): void {
    if (this._closed) return;
    logger.debug('close() [id:%s]', this._id);
    this.shutDown();
    this._observer.safeEmit('close');
  }

  /** @internal Numbers for `transport.getStats()`. */
  get stats(): { messagesReceived: number; bytesReceived: number } {
    return { messagesReceived: this._messagesReceived, bytesReceived: this._bytesReceived };
  }

  /**
   * @internal libdatachannel closed the channel: the router reset its side of the stream (its
   * DataConsumer was closed, or the DataProducer it consumes) or the association is gone.
   */
  channelClosed(): void {
    if (this._closed) return;
    logger.debug('channel closed remotely [id:%s]', this._id);
    this.fail('DataConsumer closed before it opened');
  }

  /** @internal The transport was closed by the user. */
  transportClosed(): void {
    if (this._closed) return;
    logger.debug('transportClosed() [id:%s]', this._id);
    this.shutDown();
    this.safeEmit('transportclose');
    this._observer.safeEmit('close');
  }

  /** @internal The transport failed: the consumer is closed as if its channel had. */
  transportFailed(): void {
    if (this._closed) return;
    logger.debug('transportFailed() [id:%s]', this._id);
    this.fail('DataConsumer could not connect: the transport failed');
  }

  /** Closed without the user asking: `error` first if it never opened, then `close`. */
  private fail(neverOpenedMessage: string): void {
    const neverOpened = !this._openEmitted;
    this.shutDown();
    if (neverOpened) this.safeEmit('error', new Error(neverOpenedMessage));
    this.safeEmit('close');
    this._observer.safeEmit('close');
  }

  private handleNativeOpen(): void {
    if (this._closed || this._openEmitted) return;
    this._whenConnected(() => {
      this.emitOpen();
    });
  }

  private emitOpen(): void {
    if (this._closed || this._openEmitted) return;
    this._openEmitted = true;
    this._readyState = 'open';
    logger.debug('open [id:%s, streamId:%d]', this._id, this._sctpStreamParameters.streamId);
    this.safeEmit('open');
  }

  private handleNativeError(error: Error): void {
    if (this._closed) return;
    logger.warn('channel error [id:%s]: %s', this._id, error.message);
    this.safeEmit('error', error);
  }

  private handleNativeMessage(message: string | Buffer | ArrayBuffer): void {
    if (this._closed) return;
    this._messagesReceived++;
    if (typeof message === 'string') {
      this._bytesReceived += message.length === 0 ? 0 : Buffer.byteLength(message, 'utf8');
      this.safeEmit('message', message);
      return;
    }
    this._bytesReceived += message.byteLength;
    // The binary type is the one set: toBinaryType() makes that one.
    this.safeEmit('message', this.toBinaryType(message) as DataConsumerBinaryMessage<BinaryType>);
  }

  private toBinaryType(data: Buffer | ArrayBuffer): ArrayBuffer | Blob | Buffer {
    if (data instanceof ArrayBuffer) {
      if (this._binaryType === 'arraybuffer') return data;
      return this._binaryType === 'nodebuffer' ? Buffer.from(data) : new Blob([data]);
    }
    switch (this._binaryType) {
      case 'nodebuffer':
        return data;
      case 'blob':
        return new Blob([data]);
      case 'arraybuffer': {
        // node-datachannel copies each message into a Buffer of its own, whose ArrayBuffer is
        // then exactly the message; a Buffer that views part of a larger one (a pool) gets
        // the exact bytes copied out.
        const buffer = data.buffer as ArrayBuffer;
        if (data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
        return buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      }
    }
  }

  /** Closes the native channel (a stream reset) and drops every reference to it. */
  private shutDown(): void {
    this._closed = true;
    this._readyState = 'closed';
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
}

import {
  DataEndpoint,
  type DataEndpointEvents,
  type DataEndpointInternal,
  type DataEndpointObserverEvents,
  type DataEndpointReadyState,
} from './DataEndpoint.js';
import { Logger } from './Logger.js';
import type { NativeChannel } from './handlers/HandlerInterface.js';
import type { AppData, SctpStreamParameters } from './types.js';
import { describeValue, isBinaryType } from './validation.js';

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

/** 'closing' is never reported: a DataConsumer closes at once. */
export type DataConsumerReadyState = DataEndpointReadyState;

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
  DataEndpointEvents & {
    message: [DataConsumerMessage<BinaryType>];
  };

export type DataConsumerObserverEvents = DataEndpointObserverEvents;

/** Internal wiring from the Transport; not part of the public API. */
export interface DataConsumerInternal extends DataEndpointInternal {
  dataProducerId: string;
  binaryType: DataConsumerBinaryType;
}

export class DataConsumer<
  DataConsumerAppData extends AppData = AppData,
  BinaryType extends DataConsumerBinaryType = DataConsumerBinaryType,
> extends DataEndpoint<DataConsumerAppData, DataConsumerEvents<BinaryType>> {
  private readonly _dataProducerId: string;
  private _binaryType: BinaryType;
  private _messagesReceived = 0;
  private _bytesReceived = 0;

  /**
   * Not for apps: `transport.consumeData()` creates it (as in mediasoup-client, the
   * constructor keeps its signature in the published types, so that `new DataConsumer()`
   * stays a type error).
   */
  constructor(internal: DataConsumerInternal) {
    super(internal, 'DataConsumer', logger);
    this._dataProducerId = internal.dataProducerId;
    this._binaryType = internal.binaryType as BinaryType;
  }

  get dataProducerId(): string {
    return this._dataProducerId;
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

  /** @internal Numbers for `transport.getStats()`. */
  get stats(): { messagesReceived: number; bytesReceived: number } {
    return { messagesReceived: this._messagesReceived, bytesReceived: this._bytesReceived };
  }

  /** @internal */
  protected listen(channel: NativeChannel): void {
    // The one listener on the receive path: libdatachannel keeps what arrived before it.
    channel.onMessage((message) => {
      this.handleNativeMessage(message);
    });
  }

  /** @internal */
  protected opened(): void {
    this._readyState = 'open';
    this.safeEmit('open');
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
}

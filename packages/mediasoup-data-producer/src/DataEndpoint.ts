// The lifecycle that a DataProducer and a DataConsumer share: one native channel, opened once
// the transport is connected, closed by the app, by the router (a stream reset), by the
// transport's close or by its failure, with the same events in the same order either way.
import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import type { Logger } from './Logger.js';
import type { NativeChannel } from './handlers/HandlerInterface.js';
import type { AppData, SctpStreamParameters } from './types.js';
import { isPlainObject } from './validation.js';

/** RTCDataChannelState, as mediasoup-client types `readyState`. */
export type DataEndpointReadyState = 'connecting' | 'open' | 'closing' | 'closed';

/** The events a DataProducer and a DataConsumer both emit. */
export type DataEndpointEvents = {
  transportclose: [];
  open: [];
  error: [Error];
  close: [];
};

export type DataEndpointObserverEvents = {
  close: [];
};

/** Internal wiring from the Transport; not part of the public API. */
export interface DataEndpointInternal {
  /** The router's DataProducer or DataConsumer id. */
  id: string;
  /** Undefined when the transport failed before the channel could be used: it fails at once. */
  channel: NativeChannel | undefined;
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
  appData: AppData;
  /** Runs its callback once the transport has reported 'connected': `open` never comes first. */
  whenConnected: (fn: () => void) => void;
  /** Called once, when the endpoint is closed for whatever reason: its stream id is given back. */
  onShutDown: () => void;
}

/** What DataProducer and DataConsumer are: the getters and the lifecycle of either. */
export abstract class DataEndpoint<
  EndpointAppData extends AppData,
  Events extends DataEndpointEvents,
> extends EnhancedEventEmitter<Events> {
  private readonly _id: string;
  private readonly _sctpStreamParameters: SctpStreamParameters;
  private readonly _label: string;
  private readonly _protocol: string;
  private _appData: EndpointAppData;
  private readonly _whenConnected: (fn: () => void) => void;
  private readonly _onShutDown: () => void;
  private readonly _observer = new EnhancedEventEmitter<DataEndpointObserverEvents>();
  private readonly _kind: 'DataProducer' | 'DataConsumer';
  private readonly _logger: Logger;
  /** @internal Undefined once closed. */
  protected _channel: NativeChannel | undefined;
  /** @internal */
  protected _closed = false;
  /** @internal */
  protected _readyState: DataEndpointReadyState = 'connecting';
  /** @internal Set when `open` is due (emitted, or withheld by a close under way). */
  protected _openEmitted = false;

  protected constructor(
    internal: DataEndpointInternal,
    kind: 'DataProducer' | 'DataConsumer',
    logger: Logger,
  ) {
    super();
    this._id = internal.id;
    this._channel = internal.channel;
    this._sctpStreamParameters = internal.sctpStreamParameters;
    this._label = internal.label;
    this._protocol = internal.protocol;
    this._appData = internal.appData as EndpointAppData;
    this._whenConnected = internal.whenConnected;
    this._onShutDown = internal.onShutDown;
    this._kind = kind;
    this._logger = logger;
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
    this.listen(channel);
    // Native callbacks reach this thread only after produceData()/consumeData() has resolved;
    // an open that happened before is reported late, so that a listener attached right after
    // the await sees it.
    if (channel.isOpen()) {
      setImmediate(() => {
        this.handleNativeOpen();
      });
    }
  }

  /** The router's DataProducer or DataConsumer id. */
  get id(): string {
    return this._id;
  }

  get closed(): boolean {
    return this._closed;
  }

  get sctpStreamParameters(): SctpStreamParameters {
    return { ...this._sctpStreamParameters };
  }

  get readyState(): DataEndpointReadyState {
    return this._readyState;
  }

  get label(): string {
    return this._label;
  }

  get protocol(): string {
    return this._protocol;
  }

  get appData(): EndpointAppData {
    return this._appData;
  }

  set appData(appData: EndpointAppData) {
    if (!isPlainObject(appData)) throw new TypeError('appData must be a plain object');
    this._appData = appData;
  }

  get observer(): EnhancedEventEmitter<DataEndpointObserverEvents> {
    return this._observer;
  }

  /** Closes at once: the SCTP stream is reset. Emits no `close` event; observer `close`. */
  close(): void {
    if (this._closed) return;
    this._logger.debug('close() [id:%s]', this._id);
    this.shutDown();
    this.emitClosed([]);
  }

  /**
   * @internal libdatachannel closed the channel: the router reset its side of the stream (its
   * endpoint was closed, or it answered our reset) or the association is gone.
   */
  channelClosed(byStreamReset = false): void {
    if (this._closed) return;
    this._logger.debug(
      'channel closed remotely [id:%s, byStreamReset:%s]',
      this._id,
      byStreamReset,
    );
    this.fail(`${this._kind} closed before it opened`);
  }

  /** @internal The transport was closed by the user. */
  transportClosed(): void {
    if (this._closed) return;
    this._logger.debug('transportClosed() [id:%s]', this._id);
    this.shutDown();
    this.emitClosed(['transportclose']);
  }

  /** @internal The transport failed: closed as if the channel had. */
  transportFailed(): void {
    if (this._closed) return;
    this._logger.debug('transportFailed() [id:%s]', this._id);
    this.fail(`${this._kind} could not connect: the transport failed`);
  }

  /** @internal Registers the subclass's own native callbacks (before isOpen() is read). */
  protected abstract listen(channel: NativeChannel): void;

  /**
   * @internal The channel is open and the transport connected, once: `_openEmitted` is set.
   * Sets `readyState` and emits `open` (see emitOpen()).
   */
  protected abstract opened(): void;

  /** @internal The events that the subclass knows are its own. */
  protected get endpointEvents(): EnhancedEventEmitter<DataEndpointEvents> {
    return this;
  }

  /** @internal Closed without the user asking: `error` first if it never opened, then `close`. */
  protected fail(neverOpenedMessage: string): void {
    const neverOpened = !this._openEmitted;
    this.shutDown();
    if (neverOpened) this.endpointEvents.safeEmit('error', new Error(neverOpenedMessage));
    this.emitClosed(['close']);
  }

  /** @internal A native error, or one of this layer's on the channel's behalf. */
  protected handleNativeError(error: Error): void {
    if (this._closed) return;
    this._logger.warn('channel error [id:%s]: %s', this._id, error.message);
    this.endpointEvents.safeEmit('error', error);
  }

  /** @internal Closes the native channel (a stream reset) and drops every reference to it. */
  protected shutDown(): void {
    this._closed = true;
    this._readyState = 'closed';
    const channel = this._channel;
    this._channel = undefined;
    if (channel) {
      try {
        channel.close();
      } catch (error) {
        this._logger.warn('channel.close() failed [id:%s]: %o', this._id, error);
      }
    }
    this._onShutDown();
  }

  /** @internal The events of a close, then the observer's `close` (exactly once). */
  protected emitClosed(events: ('close' | 'transportclose')[]): void {
    for (const event of events) this.endpointEvents.safeEmit(event);
    this._observer.safeEmit('close');
  }

  private handleNativeOpen(): void {
    if (this._closed || this._openEmitted) return;
    this._whenConnected(() => {
      if (this._closed || this._openEmitted) return;
      this._openEmitted = true;
      this._logger.debug(
        'open [id:%s, streamId:%d]',
        this._id,
        this._sctpStreamParameters.streamId,
      );
      this.opened();
    });
  }
}

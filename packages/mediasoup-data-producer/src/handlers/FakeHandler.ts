// A handler with no network and no native code, as mediasoup-client ships one: a transport
// on it signals, takes stream ids and creates DataProducers exactly as on node-datachannel's
// handler (the stream-id policy is the same code), while the test drives the connection and
// each channel. For unit tests of an app's signaling and close handling, and of this library.
import { InvalidStateError, UnsupportedError } from '../errors.js';
import { Logger } from '../Logger.js';
import type { ConnectionState, IceGatheringState, IceServer } from '../types.js';
import type {
  HandlerFactory,
  HandlerRunOptions,
  HandlerSendDataChannelOptions,
  HandlerTransportStats,
  NativeChannel,
} from './HandlerInterface.js';
import { HandlerBase, type HandlerSession } from './HandlerBase.js';

const logger = new Logger('FakeHandler');

const NAME = 'FakeHandler';

/** The sha-256 fingerprint the fake reports in `connect`. */
export const FAKE_FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  ((i * 7 + 1) % 256).toString(16).toUpperCase().padStart(2, '0'),
).join(':');

/** How many stream ids node-datachannel accepts (its maxDataChannelId() + 1). */
const NATIVE_MAX_STREAMS = 65535;

export interface FakeHandlerOptions {
  /**
   * Default true: once `connect` is answered, the connection becomes 'connected' on a later
   * turn of the event loop, as a real one would, and every channel opens. With false, the
   * test calls `setConnectionState()`.
   */
  autoConnect?: boolean;
  /** How many stream ids the fake native stack accepts. Default 65535, as node-datachannel. */
  maxStreams?: number;
  /**
   * Default true: the fake router answers a stream reset of ours (`resetOutgoing()`) with its
   * own once the channel holds nothing (`bufferedAmount()` 0), as mediasoup 3.8 (usrsctp)
   * does, and the channel then closes. With false it never answers, as mediasoup >= 3.20 on a
   * DataProducer's stream.
   */
  answerStreamResets?: boolean;
}

/** What a fake channel was created with. */
export interface FakeDataChannelInit extends HandlerSendDataChannelOptions {
  streamId: number;
}

/**
 * A scripted native channel: what a DataProducer sends is recorded in `sent`, what a
 * DataConsumer receives is given by `simulateMessage()`, and the test opens, closes, stalls
 * and drains it. Like node-datachannel's, its callbacks run on a later
 * turn of the event loop (setImmediate), while `isOpen()` and `bufferedAmount()` change at
 * once.
 */
export class FakeDataChannel implements NativeChannel {
  readonly streamId: number;
  readonly label: string;
  readonly protocol: string;
  readonly ordered: boolean;
  readonly maxPacketLifeTime: number | undefined;
  readonly maxRetransmits: number | undefined;
  /** Every message handed to the channel, in order (binary ones copied). */
  readonly sent: (string | Uint8Array)[] = [];
  private readonly _onClosed: (byStreamReset: boolean) => void;
  private _open = false;
  private _closed = false;
  private _closedLocally = false;
  private _answerReset = false;
  private _stalled = false;
  private _buffered = 0;
  private _threshold = 0;
  private _refusals = 0;
  private _refusalCloses = false;
  private _bytesReceived = 0;
  private _onOpen: (() => void) | undefined;
  private _onError: ((error: string) => void) | undefined;
  private _onBufferedAmountLow: (() => void) | undefined;
  private _onMessage: ((message: string | Buffer | ArrayBuffer) => void) | undefined;
  /** Delivered before a message callback was set: libdatachannel keeps them too. */
  private _pendingMessages: (string | Buffer | ArrayBuffer)[] = [];

  constructor(init: FakeDataChannelInit, onClosed: (byStreamReset: boolean) => void) {
    this.streamId = init.streamId;
    this.label = init.label;
    this.protocol = init.protocol;
    this.ordered = init.ordered;
    this.maxPacketLifeTime = init.maxPacketLifeTime;
    this.maxRetransmits = init.maxRetransmits;
    this._onClosed = onClosed;
  }

  /** True once closed, by `close()` or `simulateClose()`. */
  get closed(): boolean {
    return this._closed;
  }

  /** True if `close()` closed it (a DataProducer did), not the remote side. */
  get closedLocally(): boolean {
    return this._closedLocally;
  }

  /**
   * Payload bytes of the messages `simulateMessage()` delivered, counted as libdatachannel
   * counts them for its peer's `bytesReceived()`: on arrival, UTF-8 for strings.
   */
  get bytesReceived(): number {
    return this._bytesReceived;
  }

  /**
   * Each reset of our side of the stream with the channel kept (`resetOutgoing()`), as how many
   * messages the channel had been sent by then.
   */
  readonly resets: number[] = [];

  /** The threshold last given to `setBufferedAmountLowThreshold()`. */
  get bufferedAmountLowThreshold(): number {
    return this._threshold;
  }

  sendMessage(message: string): boolean {
    return this.take(message, Buffer.byteLength(message, 'utf8'));
  }

  sendMessageBinary(buffer: Uint8Array): boolean {
    return this.take(new Uint8Array(buffer), buffer.byteLength);
  }

  bufferedAmount(): number {
    return this._buffered;
  }

  setBufferedAmountLowThreshold(size: number): void {
    this._threshold = size;
  }

  isOpen(): boolean {
    return this._open;
  }

  close(): void {
    if (this._closed) return;
    this._closedLocally = true;
    this.closeNow(false);
  }

  /**
   * Our side of the stream is reset after what the channel holds; with `answer`, the fake
   * router resets its side once the channel holds nothing, which closes the channel.
   */
  requestReset(answer: boolean): void {
    if (this._closed) return;
    this.resets.push(this.sent.length);
    this._answerReset ||= answer;
    this.answerResetIfDrained();
  }

  onOpen(cb: () => void): void {
    this._onOpen = cb;
  }

  onError(cb: (error: string) => void): void {
    this._onError = cb;
  }

  onBufferedAmountLow(cb: () => void): void {
    this._onBufferedAmountLow = cb;
  }

  onMessage(cb: (message: string | Buffer | ArrayBuffer) => void): void {
    this._onMessage = cb;
    const pending = this._pendingMessages;
    this._pendingMessages = [];
    for (const message of pending) {
      later(() => {
        cb(message);
      });
    }
  }

  /**
   * A message arrives from the router, on a later turn of the event loop: a string as
   * node-datachannel gives PPID 51 and 56, a Buffer (given as is, so a test can pass a view on
   * a larger ArrayBuffer) or an ArrayBuffer for 53 and 57. Ignored once the channel is closed.
   */
  simulateMessage(message: string | Buffer | ArrayBuffer): void {
    if (this._closed) return;
    this._bytesReceived +=
      typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
    later(() => {
      if (this._closed) return;
      const onMessage = this._onMessage;
      if (onMessage) onMessage(message);
      else this._pendingMessages.push(message);
    });
  }

  /** The SCTP stream opens. Done by the handler when the connection becomes 'connected'. */
  simulateOpen(): void {
    if (this._closed || this._open) return;
    this._open = true;
    later(() => this._onOpen?.());
  }

  /**
   * The channel closes without `close()`: the router reset the stream (default), or with
   * `{ byStreamReset: false }` the association went away.
   */
  simulateClose({ byStreamReset = true }: { byStreamReset?: boolean } = {}): void {
    if (this._closed) return;
    this.closeNow(byStreamReset);
  }

  /** The native stack reports an error on the channel. */
  simulateError(message: string): void {
    later(() => this._onError?.(message));
  }

  /** From now on, sent bytes stay in `bufferedAmount()` until `drain()`. */
  stall(): void {
    this._stalled = true;
  }

  /**
   * Sends `bytes` of what `bufferedAmount()` holds (default all) and ends a `stall()`; reports
   * buffered-amount-low if that took the amount from above the threshold to at or below it.
   */
  drain(bytes = Infinity): void {
    const before = this._buffered;
    this._buffered = Math.max(0, before - bytes);
    if (bytes === Infinity) this._stalled = false;
    if (before > this._threshold && this._buffered <= this._threshold) {
      later(() => this._onBufferedAmountLow?.());
    }
    this.answerResetIfDrained();
  }

  /**
   * The next `count` sends throw, as node-datachannel's do on a stream the router has just
   * reset; with `close`, the first refusal also closes the channel natively.
   */
  refuseSends(count: number, { close = false }: { close?: boolean } = {}): void {
    this._refusals = count;
    this._refusalCloses = close;
  }

  private take(message: string | Uint8Array, size: number): boolean {
    if (this._closed) throw new Error('DataChannel is closed');
    if (this._refusals > 0) {
      this._refusals--;
      if (this._refusalCloses) this.simulateClose();
      throw new Error('the fake channel refused the message');
    }
    this.sent.push(message);
    if (this._stalled) this._buffered += size;
    return true;
  }

  private answerResetIfDrained(): void {
    if (!this._answerReset || this._buffered > 0) return;
    later(() => {
      this.simulateClose();
    });
  }

  private closeNow(byStreamReset: boolean): void {
    this._closed = true;
    this._open = false;
    this._buffered = 0;
    later(() => {
      this._onClosed(byStreamReset);
    });
  }
}

/**
 * A handler without network: `new Device({ handlerFactory: FakeHandler.createFactory() })`.
 * `transport.handler` is then the FakeHandler of each transport.
 */
export class FakeHandler extends HandlerBase<undefined> {
  private readonly _autoConnect: boolean;
  private readonly _maxStreams: number;
  private readonly _answerStreamResets: boolean;
  private readonly _dataChannels: FakeDataChannel[] = [];
  private _connectionState: ConnectionState = 'new';
  private _iceGatheringState: IceGatheringState = 'new';
  private _gatheringStarted = false;
  private _channelRefusal: string | undefined;

  static createFactory(options: FakeHandlerOptions = {}): HandlerFactory {
    return () => new FakeHandler(options);
  }

  constructor({
    autoConnect = true,
    maxStreams = NATIVE_MAX_STREAMS,
    answerStreamResets = true,
  }: FakeHandlerOptions = {}) {
    super();
    this._autoConnect = autoConnect;
    this._maxStreams = maxStreams;
    this._answerStreamResets = answerStreamResets;
  }

  get name(): string {
    return NAME;
  }

  /** What the transport gave `run()`: its validated parameters. */
  get runOptions(): HandlerRunOptions | undefined {
    return this._runOptions;
  }

  /** The ICE servers as last set by `run()` or `updateIceServers()`. */
  get iceServers(): IceServer[] {
    return this._iceServers;
  }

  /** Every channel created, in order. */
  get dataChannels(): readonly FakeDataChannel[] {
    return this._dataChannels;
  }

  /** The connection state last reported. */
  get connectionState(): ConnectionState {
    return this._connectionState;
  }

  /** The ICE gathering state last reported. */
  get iceGatheringState(): IceGatheringState {
    return this._iceGatheringState;
  }

  get closed(): boolean {
    return this._closed;
  }

  /**
   * Reports a connection state, as the native stack would ('closed' as 'failed', as
   * node-datachannel's handler does). 'connected' also opens every
   * channel (the SCTP association is up); no state closes them: call a channel's
   * `simulateClose()` for that.
   */
  setConnectionState(connectionState: ConnectionState): void {
    if (this._closed) return;
    // As node-datachannel's handler: a connection closed by the native stack has failed.
    const state = connectionState === 'closed' ? 'failed' : connectionState;
    this._connectionState = state;
    this.reportConnectionState(state);
    if (state !== 'connected') return;
    for (const channel of this._dataChannels) channel.simulateOpen();
  }

  /**
   * Reports an ICE gathering state, as the native stack would. The fake reports 'gathering'
   * itself on a later turn of the event loop once its first channel made the offer and,
   * with `autoConnect`, 'complete' on the turn after.
   */
  setIceGatheringState(state: IceGatheringState): void {
    if (this._closed || state === this._iceGatheringState) return;
    this._iceGatheringState = state;
    this.safeEmit('@icegatheringstatechange', state);
  }

  /** The next channel the native stack is asked for is refused with this reason. */
  refuseNextChannel(reason = 'the fake native stack refused the channel'): void {
    this._channelRefusal = reason;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async updateIceServers(iceServers: IceServer[]): Promise<void> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this.started) {
      throw new UnsupportedError(
        'updateIceServers() only takes effect before the transport starts connecting ' +
          "(its first produceData()): FakeHandler behaves as node-datachannel's handler, which " +
          'cannot change the ICE servers of a running agent',
      );
    }
    this._iceServers = iceServers;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async getTransportStats(): Promise<HandlerTransportStats> {
    const bytesSent = this._dataChannels.reduce(
      (sum, channel) =>
        sum +
        channel.sent.reduce(
          (bytes, m) => bytes + (typeof m === 'string' ? Buffer.byteLength(m) : m.byteLength),
          0,
        ),
      0,
    );
    // As node-datachannel's peer: the payload of the whole association, closed channels too.
    const bytesReceived = this._dataChannels.reduce(
      (sum, channel) => sum + channel.bytesReceived,
      0,
    );
    const remote = this._runOptions?.iceCandidates[0];
    if (this._connectionState !== 'connected' || !remote) return { bytesSent, bytesReceived };
    return {
      bytesSent,
      bytesReceived,
      roundTripTime: 0.001,
      selectedCandidatePair: {
        local: { address: '127.0.0.1', port: 9, protocol: remote.protocol, candidateType: 'host' },
        remote: {
          address: remote.address ?? remote.ip ?? '',
          port: remote.port,
          protocol: remote.protocol,
          candidateType: remote.type,
        },
      },
    };
  }

  /** @internal */
  protected startSession(): HandlerSession<undefined> {
    return { native: undefined, maxStreams: this._maxStreams };
  }

  /** @internal */
  protected resetStream(_native: undefined, streamId: number): void {
    // The channel on the stream: the last one made on that id (earlier ones are closed).
    const channel = [...this._dataChannels].reverse().find((c) => c.streamId === streamId);
    channel?.requestReset(this._answerStreamResets);
  }

  /** @internal */
  protected closeSession(): void {
    logger.debug('close()');
    for (const channel of this._dataChannels) channel.simulateClose({ byStreamReset: false });
  }

  /** @internal */
  protected createChannel(
    _native: undefined,
    init: FakeDataChannelInit,
    onClosed: (byStreamReset: boolean) => void,
  ): FakeDataChannel {
    const refusal = this._channelRefusal;
    if (refusal !== undefined) {
      this._channelRefusal = undefined;
      throw new Error(refusal);
    }
    const channel = new FakeDataChannel(init, onClosed);
    this._dataChannels.push(channel);
    // On an association that is up, a new channel opens at once.
    if (this._connectionState === 'connected') channel.simulateOpen();
    return channel;
  }

  /** @internal */
  protected async connect(_native: undefined, run: HandlerRunOptions): Promise<void> {
    // As libdatachannel: the offer starts the gathering of local candidates, which is
    // reported on later turns of the event loop (after `connect` is emitted).
    if (!this._gatheringStarted) {
      this._gatheringStarted = true;
      later(() => {
        if (this._iceGatheringState !== 'new') return;
        this.setIceGatheringState('gathering');
        if (this._autoConnect) {
          later(() => {
            if (this._iceGatheringState === 'gathering') this.setIceGatheringState('complete');
          });
        }
      });
    }
    await this.requestConnect(run, { algorithm: 'sha-256', value: FAKE_FINGERPRINT });
    this._connected = true;
    // With the router's answer, ICE starts: node-datachannel reports 'connecting'.
    if (this._connectionState === 'new') this.setConnectionState('connecting');
    if (this._autoConnect) {
      later(() => {
        if (this._connectionState === 'connecting') this.setConnectionState('connected');
      });
    }
  }
}

/** Runs `fn` on a later turn of the event loop, as node-datachannel's callbacks do. */
function later(fn: () => void): void {
  setImmediate(fn);
}

// What every handler of this library shares, so that FakeHandler follows node-datachannel's
// handler rule for rule: the checks before a channel, the stream pool of the transport's
// direction (made with the first channel), the mapping of the router's stream parameters to a
// receiving channel, the `@connect` exchange and the connection states the streams depend on.
// A handler adds only what its stack does: make the session (a peer connection), make and
// reset channels, apply the router's answer, close.
import { InvalidStateError, UnsupportedError } from '../errors.js';
import type { ConnectionState, DtlsFingerprint, IceServer } from '../types.js';
import {
  HandlerInterface,
  type HandlerReceiveDataChannelOptions,
  type HandlerReceiveDataChannelResult,
  type HandlerRunOptions,
  type HandlerSctpParameters,
  type HandlerSendDataChannelOptions,
  type HandlerSendDataChannelResult,
  type NativeChannel,
} from './HandlerInterface.js';
import { RecvStreams } from './RecvStreams.js';
import type { StreamHandler } from './SctpStream.js';
import { SendStreams } from './SendStreams.js';

/** What a native channel is made with: the stream id we picked (send) or the router did (recv). */
export interface HandlerChannelInit extends HandlerSendDataChannelOptions {
  streamId: number;
}

/** What `startSession()` made: the handler's native state, and the stream ids it accepts. */
export interface HandlerSession<Native> {
  native: Native;
  maxStreams: number;
}

/**
 * A handler whose transport has one native session (`Native`: node-datachannel's peer
 * connection, nothing for the fake), made by its first channel.
 */
export abstract class HandlerBase<Native> extends HandlerInterface {
  /** @internal */
  protected _runOptions: HandlerRunOptions | undefined;
  /** @internal */
  protected _iceServers: IceServer[] = [];
  /** @internal A `@connect` was answered and the router's answer applied. */
  protected _connected = false;
  /** @internal */
  protected _closed = false;
  /** Made by the first channel; dropped by close(). */
  private _session: HandlerSession<Native> | undefined;
  private _sendStreams: SendStreams | undefined;
  private _recvStreams: RecvStreams | undefined;

  run(options: HandlerRunOptions): void {
    this._runOptions = options;
    this._iceServers = options.iceServers;
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    const session = this._session;
    this._session = undefined;
    this.closeSession(session?.native);
  }

  async sendDataChannel(
    options: HandlerSendDataChannelOptions,
  ): Promise<HandlerSendDataChannelResult> {
    const { run, sctp, native, count } = this.prepare('send');
    const streams = (this._sendStreams ??= new SendStreams(count));
    return streams.send(
      options,
      this.streamHandler(native, run, sctp, (streamId, onClosed) =>
        this.createChannel(native, { ...options, streamId }, onClosed),
      ),
    );
  }

  async receiveDataChannel(
    options: HandlerReceiveDataChannelOptions,
  ): Promise<HandlerReceiveDataChannelResult> {
    const { run, sctp, native, count } = this.prepare('recv');
    const streams = (this._recvStreams ??= new RecvStreams(count));
    const { sctpStreamParameters: parameters, label, protocol } = options;
    return streams.receive(
      options,
      this.streamHandler(native, run, sctp, (streamId, onClosed) =>
        this.createChannel(
          native,
          {
            streamId,
            label,
            protocol,
            ordered: parameters.ordered,
            maxPacketLifeTime: parameters.maxPacketLifeTime,
            maxRetransmits: parameters.maxRetransmits,
          },
          onClosed,
        ),
      ),
    );
  }

  /** @internal The first channel's: makes the native session (creates native resources). */
  protected abstract startSession(
    run: HandlerRunOptions,
    sctp: HandlerSctpParameters,
  ): HandlerSession<Native>;

  /** @internal Makes a native channel; `onClosed` runs once when the stack reports it closed. */
  protected abstract createChannel(
    native: Native,
    init: HandlerChannelInit,
    onClosed: (byStreamReset: boolean) => void,
  ): NativeChannel;

  /** @internal Resets the outgoing side of a stream and keeps its channel open. */
  protected abstract resetStream(native: Native, streamId: number): void;

  /**
   * Connects the first time (see `requestConnect()`), then sets `_connected` once the router's
   * answer is applied.
   * @internal
   */
  protected abstract connect(
    native: Native,
    run: HandlerRunOptions,
    sctp: HandlerSctpParameters,
  ): Promise<void>;

  /** @internal Releases the native session, if the transport had one. Called once, by close(). */
  protected abstract closeSession(native: Native | undefined): void;

  /** @internal True once the first channel made the session (and until close()). */
  protected get started(): boolean {
    return this._session !== undefined;
  }

  /**
   * Emits `@connect` with our DTLS parameters and waits for its answer. The router decides the
   * role when it has one; otherwise we are the DTLS client, as mediasoup-client is. Resolves
   * with our role; rejects with the errback's error, or InvalidStateError when closed meanwhile.
   * @internal
   */
  protected async requestConnect(
    run: HandlerRunOptions,
    fingerprint: DtlsFingerprint,
  ): Promise<'client' | 'server'> {
    const role = run.dtlsParameters.role === 'client' ? 'server' : 'client';
    await new Promise<void>((resolve, reject) => {
      this.safeEmit(
        '@connect',
        { dtlsParameters: { role, fingerprints: [fingerprint] } },
        resolve,
        reject,
      );
    });
    if (this._closed) throw new InvalidStateError('transport is closed');
    return role;
  }

  /**
   * Reports a connection state ('closed' is reported as 'failed' by the caller). Once the
   * association has been up, a released send stream rests instead of being lost.
   * @internal
   */
  protected reportConnectionState(state: ConnectionState): void {
    if (state === 'connected') this._sendStreams?.associated();
    this.safeEmit('@connectionstatechange', state);
  }

  /** The checks before a channel in `direction`, and the session, made the first time. */
  private prepare(direction: 'send' | 'recv'): {
    run: HandlerRunOptions;
    sctp: HandlerSctpParameters;
    native: Native;
    /** How many stream ids the transport may use. */
    count: number;
  } {
    if (this._closed) throw new InvalidStateError('transport is closed');
    const run = this._runOptions;
    if (!run) throw new InvalidStateError('the handler has not been run');
    if (run.direction !== direction) {
      throw new UnsupportedError(
        `${direction === 'send' ? 'sendDataChannel' : 'receiveDataChannel'}() is not supported: ` +
          `this is a ${run.direction} transport`,
      );
    }
    if (!run.sctpParameters) throw new UnsupportedError('SCTP is not enabled on this transport');
    const sctp = run.sctpParameters;
    const session = (this._session ??= this.startSession(run, sctp));
    return {
      run,
      sctp,
      native: session.native,
      count: Math.min(sctp.maxStreams, session.maxStreams),
    };
  }

  private streamHandler(
    native: Native,
    run: HandlerRunOptions,
    sctp: HandlerSctpParameters,
    makeChannel: StreamHandler['makeChannel'],
  ): StreamHandler {
    return {
      makeChannel,
      resetStream: (streamId) => {
        this.resetStream(native, streamId);
      },
      isClosed: () => this._closed,
      isConnected: () => this._connected,
      connect: () => this.connect(native, run, sctp),
    };
  }
}

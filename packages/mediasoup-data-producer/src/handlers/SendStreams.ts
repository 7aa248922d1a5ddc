// The stream-id policy of a send handler (and the stream and connect logic that the receive
// side shares, see RecvStreams.ts), shared by every handler of this library so that
// FakeHandler follows exactly the rules node-datachannel's handler does (docs/api.md, "Stream
// ids"): round-robin ids, a rest after a release, and ids closed before the SCTP association
// first came up never handed out again.
import { InvalidStateError, messageOf, OperationError } from '../errors.js';
import { Logger } from '../Logger.js';
import { StreamIds } from '../StreamIds.js';
import type {
  HandlerDataChannel,
  HandlerSendDataChannelOptions,
  HandlerSendDataChannelResult,
  NativeChannel,
} from './HandlerInterface.js';

const logger = new Logger('SendStreams');

/**
 * Makes the native channel of a stream; `onClosed` runs once when it is closed natively, with
 * whether the router reset the stream while the connection was up.
 */
export type ChannelMaker = (
  streamId: number,
  onClosed: (byStreamReset: boolean) => void,
) => NativeChannel;

/** Resets the outgoing side of a stream without closing its channel (`resetOutgoing()`). */
export type StreamResetter = (streamId: number) => void;

/** What `SendStreams.send()` and `RecvStreams.receive()` need from their handler. */
export interface StreamHandler {
  makeChannel: ChannelMaker;
  resetStream: StreamResetter;
  isClosed: () => boolean;
  isConnected: () => boolean;
  connect: () => Promise<void>;
}

/** Where a stream goes back when released: the ids of a send or of a recv transport. */
export interface StreamPool {
  release(streamId: number, hadChannel: boolean): void;
}

/**
 * Until the transport is connected, makes the stream's channel (the offer needs one to carry
 * SCTP, whichever side will send on it) and connects; gives the stream back if that fails.
 */
export async function connectWith(stream: SctpStream, handler: StreamHandler): Promise<void> {
  try {
    if (!handler.isConnected()) {
      stream.channel();
      await handler.connect();
    }
  } catch (error) {
    stream.release();
    throw error;
  }
}

export class SendStreams implements StreamPool {
  private readonly _ids: StreamIds;
  /** The SCTP association has been up (the connection reached 'connected'). */
  private _associated = false;

  constructor(count: number) {
    this._ids = new StreamIds(count);
  }

  get count(): number {
    return this._ids.count;
  }

  /** From now on, a stream id with a channel rests after its release instead of being lost. */
  associated(): void {
    this._associated = true;
  }

  /**
   * The next stream id round-robin. Waits while the only free ids rest after a close; rejects
   * with InvalidStateError `transport closed` if `isClosed()` after a wait, and with
   * OperationError when every id is in use.
   */
  private async take(
    make: ChannelMaker,
    reset: StreamResetter,
    isClosed: () => boolean,
  ): Promise<{ streamId: number; stream: SctpStream }> {
    for (;;) {
      const streamId = this._ids.allocate();
      if (streamId !== undefined) {
        return { streamId, stream: new SctpStream(this, streamId, make, reset) };
      }
      const waitMs = Math.ceil(this._ids.msUntilFree() ?? 1);
      logger.debug('take() | every free stream id is resting, waiting %d ms', waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (isClosed()) throw new InvalidStateError('transport closed');
    }
  }

  /**
   * `sendDataChannel()` of every handler: takes the next stream; until the transport is
   * connected, makes its channel (the offer needs one to carry SCTP) and connects, giving the
   * stream back if that fails.
   */
  async send(
    options: HandlerSendDataChannelOptions,
    handler: StreamHandler,
  ): Promise<HandlerSendDataChannelResult> {
    const { streamId, stream } = await this.take(
      handler.makeChannel,
      handler.resetStream,
      handler.isClosed,
    );
    await connectWith(stream, handler);
    return {
      dataChannel: stream,
      sctpStreamParameters: {
        streamId,
        ordered: options.ordered,
        ...(options.maxPacketLifeTime !== undefined && {
          maxPacketLifeTime: options.maxPacketLifeTime,
        }),
        ...(options.maxRetransmits !== undefined && { maxRetransmits: options.maxRetransmits }),
      },
    };
  }

  /**
   * libdatachannel forgets a stream only through its SCTP reset: a channel closed before the
   * association is up leaves its id taken for the life of the peer (a new channel on it never
   * opens, or never sees the router close it), so that id is not handed out again. An id that
   * never had a channel is free at once: no reset can be in flight for it.
   */
  release(streamId: number, hadChannel: boolean): void {
    if (!hadChannel) this._ids.release(streamId, { rest: false });
    else if (this._associated) this._ids.release(streamId);
  }
}

/**
 * A stream taken by `SendStreams.take()` or `RecvStreams.receive()`: the `dataChannel` of
 * `sendDataChannel()` and `receiveDataChannel()`.
 */
export class SctpStream implements HandlerDataChannel {
  onclose: ((byStreamReset: boolean) => void) | undefined = undefined;
  private _channel: NativeChannel | undefined;
  private _closed = false;
  private _handedOut = false;
  private _released = false;

  constructor(
    private readonly _streams: StreamPool,
    private readonly _streamId: number,
    private readonly _make: ChannelMaker,
    private readonly _reset: StreamResetter,
  ) {}

  get closed(): boolean {
    return this._closed;
  }

  /** The native channel, created if it does not exist yet; the handler keeps closing it. */
  channel(): NativeChannel {
    if (this._channel) return this._channel;
    try {
      this._channel = this._make(this._streamId, (byStreamReset) => {
        this._closed = true;
        this.onclose?.(byStreamReset);
      });
    } catch (error) {
      throw new OperationError(`could not create the SCTP channel: ${messageOf(error)}`);
    }
    return this._channel;
  }

  create(): NativeChannel {
    const channel = this.channel();
    this._handedOut = true;
    return channel;
  }

  resetOutgoing(): void {
    if (this._released || this._closed || !this._channel) return;
    try {
      this._reset(this._streamId);
    } catch (error) {
      throw new OperationError(`could not reset the SCTP stream: ${messageOf(error)}`);
    }
  }

  release(): void {
    if (this._released) return;
    this._released = true;
    const channel = this._channel;
    if (channel && !this._handedOut) closeChannel(channel);
    this._streams.release(this._streamId, channel !== undefined);
  }
}

/** Closes a native channel that may already be closed (or destroyed) natively. */
function closeChannel(channel: NativeChannel): void {
  try {
    channel.close();
  } catch (error) {
    logger.warn('channel.close() failed: %s', messageOf(error));
  }
}

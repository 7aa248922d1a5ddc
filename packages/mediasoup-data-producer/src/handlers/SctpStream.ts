// One SCTP stream of a transport, as both handlers hand it out (the `dataChannel` of
// `sendDataChannel()` and `receiveDataChannel()`), and what a stream needs from its handler:
// making its native channel, resetting it, and connecting the transport the first time.
import { messageOf, OperationError } from '../errors.js';
import { Logger } from '../Logger.js';
import type { HandlerDataChannel, NativeChannel } from './HandlerInterface.js';

// The namespace docs/api.md names for the streams of either handler.
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

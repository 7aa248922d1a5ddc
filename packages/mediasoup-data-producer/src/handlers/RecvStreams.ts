// The streams of a recv transport, shared by every handler of this library. The router picks
// each stream id (its DataConsumer's), so there is no policy here beyond refusing an id that a
// channel of ours still holds; the stream itself and its connect logic are SctpStream.ts'.
import { OperationError } from '../errors.js';
import type {
  HandlerReceiveDataChannelOptions,
  HandlerReceiveDataChannelResult,
} from './HandlerInterface.js';
import { connectWith, SctpStream, type StreamHandler, type StreamPool } from './SctpStream.js';

export class RecvStreams implements StreamPool {
  private readonly _used: Uint8Array;

  constructor(readonly count: number) {
    this._used = new Uint8Array(count);
  }

  /**
   * Takes the router's stream id and makes its channel at once: the router may already be
   * sending on it, and libdatachannel keeps what arrives for a channel until its message
   * callback is set. The first time, connects as a send stream does.
   */
  async receive(
    options: HandlerReceiveDataChannelOptions,
    handler: StreamHandler,
  ): Promise<HandlerReceiveDataChannelResult> {
    const streamId = options.sctpStreamParameters.streamId;
    if (streamId >= this.count) {
      throw new OperationError(
        `stream id ${streamId} is out of range: this transport has ${this.count} SCTP streams`,
      );
    }
    if (this._used[streamId] === 1) {
      throw new OperationError(
        `stream id ${streamId} is in use by another DataConsumer of this transport ` +
          '(close it before consuming again on that stream)',
      );
    }
    this._used[streamId] = 1;
    const stream = new SctpStream(this, streamId, handler.makeChannel, handler.resetStream);
    try {
      stream.channel();
    } catch (error) {
      stream.release();
      throw error;
    }
    await connectWith(stream, handler);
    return { dataChannel: stream };
  }

  /**
   * Free at once, with no rest as on the send side: the router picks the id, and only once its
   * own DataConsumer on it is gone, so refusing it here would only fail that consumeData().
   */
  release(streamId: number): void {
    this._used[streamId] = 0;
  }
}

// The stream-id policy of a send transport, shared by every handler of this library so that
// FakeHandler follows exactly the rules node-datachannel's handler does (docs/api.md, "Stream
// ids"): round-robin ids, a rest after a release, and ids closed before the SCTP association
// first came up never handed out again.
import { InvalidStateError } from '../errors.js';
import { Logger } from '../Logger.js';
import type {
  HandlerSendDataChannelOptions,
  HandlerSendDataChannelResult,
} from './HandlerInterface.js';
import {
  connectWith,
  SctpStream,
  type ChannelMaker,
  type StreamHandler,
  type StreamPool,
  type StreamResetter,
} from './SctpStream.js';
import { StreamIds } from './StreamIds.js';

const logger = new Logger('SendStreams');

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
   * with InvalidStateError `transport is closed` if `isClosed()` after a wait, and with
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
      if (isClosed()) throw new InvalidStateError('transport is closed');
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

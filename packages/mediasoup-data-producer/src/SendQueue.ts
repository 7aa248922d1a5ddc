// What RTCDataChannel does for a sender that libdatachannel does not: it accepts messages
// before the channel is open and Blobs that still have to be read, keeps them in order, counts
// them in bufferedAmount, refuses more than maxBufferedAmount, and reports `bufferedamountlow`
// for the total. The DataProducer hands a message to the native channel itself when nothing is
// held here, so that the send path goes through none of this.
import { messageOf, OperationError } from './errors.js';
import type { NativeChannel } from './handlers/HandlerInterface.js';

/** What a SendQueue needs from its DataProducer. */
export interface SendQueueOwner {
  /** libdatachannel's own queue in bytes (0 without a channel). */
  nativeBufferedAmount(): number;
  /** Hands one message to the native channel and counts it; throws what the channel throws. */
  sendNative(channel: NativeChannel, payload: string | Uint8Array, size: number): void;
  /** A message held here was dropped: a Blob that could not be read, or one the channel refused. */
  dropped(error: Error): void;
  /** bufferedAmount went from above the threshold to at or below it. */
  bufferedAmountLow(): void;
  /** After each flush: what was held up to a Blob still being read has been handed over. */
  flushed(): void;
}

/** A message accepted by `send()` that the native channel does not have yet. */
interface Pending {
  data: string | Uint8Array | undefined;
  size: number;
}

/** The error of a `send()` that would buffer more than `maxBufferedAmount`. */
export function bufferFullError(size: number, maxBufferedAmount: number): OperationError {
  return new OperationError(
    `cannot buffer ${size} more bytes: bufferedAmount would exceed maxBufferedAmount ` +
      `(${maxBufferedAmount} bytes); wait for 'bufferedamountlow'`,
  );
}

export class SendQueue {
  /** How many messages are held: a plain field, since every `send()` reads it. */
  length = 0;
  /** Bytes held. */
  bytes = 0;
  /** `bufferedAmountLowThreshold`: `bufferedamountlow` is reported when the total reaches it. */
  threshold = 0;
  private _items: Pending[] = [];
  /** Set once the channel is open: from then on, held messages are handed to it. */
  private _channel: NativeChannel | undefined;

  constructor(
    private readonly _owner: SendQueueOwner,
    readonly maxBufferedAmount: number,
  ) {}

  /** libdatachannel's queue plus what is held here. */
  get bufferedAmount(): number {
    return this._owner.nativeBufferedAmount() + this.bytes;
  }

  /** Holds a message (binary data copied, as RTCDataChannel.send() does). */
  push(payload: string | Uint8Array, size: number): void {
    this.assertRoom(size);
    this._items.push({
      data: typeof payload === 'string' ? payload : new Uint8Array(payload),
      size,
    });
    this.length++;
    this.bytes += size;
  }

  /**
   * Holds a Blob in its place in the order while it is read; one that cannot be read is
   * dropped with `dropped()`, and what follows it goes on.
   */
  pushBlob(blob: Blob): void {
    this.assertRoom(blob.size);
    const pending: Pending = { data: undefined, size: blob.size };
    blob.arrayBuffer().then(
      (buffer) => {
        pending.data = new Uint8Array(buffer);
        this.flush();
      },
      (error: unknown) => {
        // clear() may have emptied the queue meanwhile: then there is nothing to drop.
        const index = this._items.indexOf(pending);
        if (index === -1) return;
        this._items.splice(index, 1);
        this.length--;
        this.bytes -= pending.size;
        this._owner.dropped(new Error(`could not read Blob: ${messageOf(error)}`));
        this.flush();
      },
    );
    this._items.push(pending);
    this.length++;
    this.bytes += blob.size;
  }

  /** The channel is open: hands it what is held, and from then on each Blob once read. */
  start(channel: NativeChannel): void {
    this._channel = channel;
    this.flush();
  }

  /** Drops everything held and hands nothing more over (the producer closed). */
  clear(): void {
    this._items = [];
    this.length = 0;
    this.bytes = 0;
    this._channel = undefined;
  }

  /** libdatachannel reported its own queue low: so is the total, unless this layer holds any. */
  nativeBufferedAmountLow(): void {
    // While this layer still holds messages, flush() decides when the total is low.
    if (this.bytes > 0) return;
    // The native report reaches this thread late: sends made meanwhile may have raised the
    // amount above the threshold again. Then it is not low, and the native stack reports
    // again when it next drains to the threshold.
    if (this.bufferedAmount > this.threshold) return;
    this._owner.bufferedAmountLow();
  }

  /**
   * Hands held messages to the native channel, in order, up to a Blob still being read. A
   * message the native channel refuses is dropped with `dropped()`, never left at the head of
   * the queue: nothing else would flush again, and every later send() would queue behind it
   * until the producer is full.
   */
  private flush(): void {
    const channel = this._channel;
    if (!channel) return;
    const items = this._items;
    const before = this.bufferedAmount;
    let done = 0;
    for (const pending of items) {
      if (pending.data === undefined) break;
      done++;
      this.length--;
      this.bytes -= pending.size;
      try {
        this._owner.sendNative(channel, pending.data, pending.size);
      } catch (error) {
        this._owner.dropped(
          new Error(`a queued message of ${pending.size} bytes was dropped: ${messageOf(error)}`),
        );
        // A `dropped` listener may have closed the producer, which cleared the queue.
        if (this._items !== items) return;
        // A channel that is no longer open refuses the rest too; its close callback is on
        // its way and closes the producer, which drops them.
        if (!channel.isOpen()) break;
      }
    }
    if (done > 0) this._items = items.slice(done);
    if (before > this.threshold && this.bufferedAmount <= this.threshold) {
      this._owner.bufferedAmountLow();
    }
    this._owner.flushed();
  }

  private assertRoom(size: number): void {
    if (this.bufferedAmount + size > this.maxBufferedAmount) {
      throw bufferFullError(size, this.maxBufferedAmount);
    }
  }
}

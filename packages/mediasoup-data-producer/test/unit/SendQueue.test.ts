// SendQueue, the RTCDataChannel emulation of a DataProducer, on its own: a scripted channel
// and an owner that records what the queue tells it.
import { OperationError } from '../../src/errors.js';
import type { NativeChannel } from '../../src/handlers/HandlerInterface.js';
import { SendQueue, type SendQueueOwner } from '../../src/SendQueue.js';

/** A native channel that records what it is sent, and can refuse or close. */
class ScriptedChannel implements NativeChannel {
  readonly sent: (string | Uint8Array)[] = [];
  refuseNext = 0;
  closesOnRefusal = false;
  open = true;
  buffered = 0;

  sendMessage(message: string): boolean {
    return this.take(message);
  }
  sendMessageBinary(buffer: Uint8Array): boolean {
    return this.take(new Uint8Array(buffer));
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  setBufferedAmountLowThreshold(): void {
    // the queue keeps its own threshold
  }
  isOpen(): boolean {
    return this.open;
  }
  close(): void {
    this.open = false;
  }
  onOpen(): void {
    // the queue is started by its owner
  }
  onError(): void {
    // not used by the queue
  }
  onBufferedAmountLow(): void {
    // the owner forwards it
  }
  onMessage(): void {
    // a sender receives nothing
  }
  private take(message: string | Uint8Array): boolean {
    if (this.refuseNext > 0) {
      this.refuseNext--;
      if (this.closesOnRefusal) this.open = false;
      throw new Error('libdatachannel refused the message');
    }
    this.sent.push(message);
    return true;
  }
}

interface Recorder {
  owner: SendQueueOwner;
  channel: ScriptedChannel;
  dropped: string[];
  lows: number;
  flushes: number;
  /** What the owner counted as sent, in bytes. */
  sentBytes: number[];
  /** Called from dropped(), as a DataProducer's `error` listener might act. */
  onDropped: (() => void) | undefined;
}

function recorder(): Recorder {
  const record: Recorder = {
    channel: new ScriptedChannel(),
    dropped: [],
    lows: 0,
    flushes: 0,
    sentBytes: [],
    onDropped: undefined,
    owner: {
      nativeBufferedAmount: () => record.channel.bufferedAmount(),
      sendNative: (channel, payload, size) => {
        if (typeof payload === 'string') channel.sendMessage(payload);
        else channel.sendMessageBinary(payload);
        record.sentBytes.push(size);
      },
      dropped: (error) => {
        record.dropped.push(error.message);
        record.onDropped?.();
      },
      bufferedAmountLow: () => {
        record.lows++;
      },
      flushed: () => {
        record.flushes++;
      },
    },
  };
  return record;
}

/** A Blob whose read fails, as one backed by a file removed meanwhile would. */
class UnreadableBlob extends Blob {
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('the file is gone'));
  }
}

const text = (values: (string | Uint8Array)[]): string[] =>
  values.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString()));

/** Lets pending Blob reads settle. */
const blobsRead = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('sendQueue.push() before start() holds the message and counts it in length, bytes and bufferedAmount', () => {
  const r = recorder();
  r.channel.buffered = 7;
  const queue = new SendQueue(r.owner, 1000);

  queue.push('hello', 5);
  queue.push(new Uint8Array([1, 2, 3]), 3);

  expect([queue.length, queue.bytes, queue.bufferedAmount]).toEqual([2, 8, 15]);
  expect(r.channel.sent).toEqual([]);
});

test('sendQueue.push() of binary data keeps a copy: the caller may reuse its buffer at once', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  const buffer = new Uint8Array([1, 2, 3]);

  queue.push(buffer, 3);
  buffer.fill(9);
  queue.start(r.channel);

  expect(r.channel.sent).toEqual([new Uint8Array([1, 2, 3])]);
});

test('sendQueue.push() beyond maxBufferedAmount (native bytes included) throws OperationError and holds nothing more', () => {
  const r = recorder();
  r.channel.buffered = 6;
  const queue = new SendQueue(r.owner, 10);
  queue.push('abc', 3);

  expect(() => {
    queue.push('xy', 2);
  }).toThrow(
    new OperationError(
      "cannot buffer 2 more bytes: bufferedAmount would exceed maxBufferedAmount (10 bytes); wait for 'bufferedamountlow'",
    ),
  );
  expect([queue.length, queue.bytes]).toEqual([1, 3]);
  queue.push('x', 1);
  expect(queue.bufferedAmount).toBe(10);
});

test('sendQueue.start() hands every held message to the channel in order, counted by the owner, and reports flushed()', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.push('one', 3);
  queue.push(new Uint8Array([116, 119, 111]), 3);
  queue.push('', 0);

  queue.start(r.channel);

  expect(text(r.channel.sent)).toEqual(['one', 'two', '']);
  expect(r.sentBytes).toEqual([3, 3, 0]);
  expect([queue.length, queue.bytes, r.flushes]).toEqual([0, 0, 1]);
});

test('sendQueue.pushBlob() keeps the Blob its place in the order while it is read', async () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.push('a', 1);
  queue.pushBlob(new Blob(['bb']));
  queue.push('c', 1);
  queue.start(r.channel);

  expect(text(r.channel.sent)).toEqual(['a']);
  expect([queue.length, queue.bytes]).toEqual([2, 3]);
  await blobsRead();
  expect(text(r.channel.sent)).toEqual(['a', 'bb', 'c']);
  expect([queue.length, queue.bytes]).toEqual([0, 0]);
});

test('sendQueue.pushBlob() beyond maxBufferedAmount throws OperationError and holds nothing', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 3);

  expect(() => {
    queue.pushBlob(new Blob(['four']));
  }).toThrow(OperationError);
  expect([queue.length, queue.bytes]).toEqual([0, 0]);
});

test('sendQueue.pushBlob() of an unreadable Blob drops it with dropped() and sends what follows it', async () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.start(r.channel);
  queue.pushBlob(new UnreadableBlob(['lost']));
  queue.push('after', 5);

  await blobsRead();

  expect(r.dropped).toEqual(['could not read Blob: the file is gone']);
  expect(text(r.channel.sent)).toEqual(['after']);
  expect([queue.length, queue.bytes]).toEqual([0, 0]);
});

test('sendQueue.clear() while a Blob is read drops it: nothing is sent and nothing reported when the read ends', async () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.start(r.channel);
  queue.pushBlob(new Blob(['read']));
  queue.pushBlob(new UnreadableBlob(['lost']));

  queue.clear();
  await blobsRead();

  expect(r.channel.sent).toEqual([]);
  expect(r.dropped).toEqual([]);
  expect([queue.length, queue.bytes]).toEqual([0, 0]);
});

test('sendQueue.start() with a message the channel refuses drops it with dropped() and sends the rest', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.push('first', 5);
  queue.push('second', 6);
  queue.push('third', 5);
  r.channel.refuseNext = 1;

  queue.start(r.channel);

  expect(r.dropped).toEqual([
    'a queued message of 5 bytes was dropped: libdatachannel refused the message',
  ]);
  expect(text(r.channel.sent)).toEqual(['second', 'third']);
  expect([queue.length, queue.bytes]).toEqual([0, 0]);
});

test('sendQueue.start() with a refusal that closes the channel stops there and keeps the rest for the close', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.push('first', 5);
  queue.push('second', 6);
  r.channel.refuseNext = 1;
  r.channel.closesOnRefusal = true;

  queue.start(r.channel);

  expect(r.dropped).toHaveLength(1);
  expect(r.channel.sent).toEqual([]);
  expect([queue.length, queue.bytes]).toEqual([1, 6]);
});

test('sendQueue.start() whose dropped() clears the queue (the producer closed) stops at once', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.push('first', 5);
  queue.push('second', 6);
  r.channel.refuseNext = 1;
  r.onDropped = () => {
    queue.clear();
  };

  queue.start(r.channel);

  expect(r.channel.sent).toEqual([]);
  expect([queue.length, queue.bytes, r.flushes, r.lows]).toEqual([0, 0, 0, 0]);
});

test('sendQueue.start() taking bufferedAmount from above the threshold to at or below it reports bufferedAmountLow() once', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.threshold = 4;
  queue.push('12345', 5);

  queue.start(r.channel);

  expect(r.lows).toBe(1);
});

test('sendQueue.start() with bufferedAmount already at the threshold reports no bufferedAmountLow()', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.threshold = 5;
  queue.push('12345', 5);

  queue.start(r.channel);

  expect(r.lows).toBe(0);
});

test('sendQueue.start() that leaves libdatachannel above the threshold reports no bufferedAmountLow()', () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.threshold = 4;
  r.channel.buffered = 5;
  queue.push('12345', 5);

  queue.start(r.channel);

  expect(r.lows).toBe(0);
});

test('sendQueue.nativeBufferedAmountLow() reports bufferedAmountLow() only when nothing is held and the total is at or below the threshold', async () => {
  const r = recorder();
  const queue = new SendQueue(r.owner, 1000);
  queue.threshold = 2;

  queue.pushBlob(new Blob(['b']));
  queue.nativeBufferedAmountLow();
  expect(r.lows).toBe(0);

  queue.start(r.channel);
  await blobsRead();
  r.channel.buffered = 3;
  queue.nativeBufferedAmountLow();
  expect(r.lows).toBe(0);

  r.channel.buffered = 2;
  queue.nativeBufferedAmountLow();
  expect(r.lows).toBe(1);
});

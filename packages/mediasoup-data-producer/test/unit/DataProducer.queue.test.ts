// The DataProducer's own queue (messages sent before open, Blobs being read) on a scripted
// native channel: bookkeeping that the wire cannot provoke on demand.
import { DataProducer } from '../../src/DataProducer.js';
import type { NativeChannel } from '../../src/handlers/HandlerInterface.js';

/** A native channel that opens when told and can refuse the next sends. */
class ScriptedChannel implements NativeChannel {
  readonly sent: (string | Uint8Array)[] = [];
  refuseNext = 0;
  /** A refusal also closes the channel natively, as a stream reset does. */
  closesOnRefusal = false;
  open = false;
  private onOpenCb: (() => void) | undefined;

  sendMessage(message: string): boolean {
    return this.take(message);
  }
  sendMessageBinary(buffer: Uint8Array): boolean {
    return this.take(new Uint8Array(buffer));
  }
  bufferedAmount(): number {
    return 0;
  }
  setBufferedAmountLowThreshold(): void {
    // nothing buffers natively here
  }
  isOpen(): boolean {
    return this.open;
  }
  close(): void {
    this.open = false;
  }
  onOpen(cb: () => void): void {
    this.onOpenCb = cb;
  }
  onError(): void {
    // not scripted
  }
  onBufferedAmountLow(): void {
    // not scripted
  }
  onMessage(): void {
    // a producer receives nothing
  }
  openNow(): void {
    this.open = true;
    this.onOpenCb?.();
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

function producerOn(channel: ScriptedChannel): DataProducer {
  return new DataProducer({
    id: 'dp',
    channel,
    sctpStreamParameters: { streamId: 0, ordered: true },
    label: '',
    protocol: '',
    appData: {},
    maxMessageSize: 262144,
    maxBufferedAmount: 1024 * 1024,
    onShutDown: () => undefined,
    resetOutgoing: () => undefined,
  });
}

/** A Blob whose read fails once `fail()` is called. */
function failingBlob(size: number): { blob: Blob; fail: () => void } {
  let fail!: () => void;
  const failed = new Promise<ArrayBuffer>((_resolve, reject) => {
    fail = () => {
      reject(new Error('the Blob could not be read'));
    };
  });
  const blob = new Blob([new Uint8Array(size)]);
  Object.defineProperty(blob, 'arrayBuffer', { value: () => failed });
  return { blob, fail };
}

const texts = (sent: (string | Uint8Array)[]): string[] =>
  sent.map((m) => (typeof m === 'string' ? m : Buffer.from(m).toString()));

test('dataProducer.bufferedAmount after close() and then a failed Blob read stays 0', async () => {
  const channel = new ScriptedChannel();
  const dataProducer = producerOn(channel);
  const errors: Error[] = [];
  dataProducer.on('error', (error) => errors.push(error));
  const { blob, fail } = failingBlob(1000);
  dataProducer.send(blob);
  expect(dataProducer.bufferedAmount).toBe(1000);

  dataProducer.close();
  fail();
  await new Promise((resolve) => setImmediate(resolve));

  expect(dataProducer.bufferedAmount).toBe(0);
  expect(errors).toEqual([]);
});

test('dataProducer.send() of a Blob whose read fails while open emits error, drops only it, and sends the rest in order', async () => {
  const channel = new ScriptedChannel();
  const dataProducer = producerOn(channel);
  channel.openNow();
  await new Promise((resolve) => setImmediate(resolve));
  const errors: Error[] = [];
  dataProducer.on('error', (error) => errors.push(error));
  const { blob, fail } = failingBlob(10);

  dataProducer.send(blob);
  dataProducer.send('after the blob');
  expect(dataProducer.bufferedAmount).toBe(10 + 'after the blob'.length);
  fail();
  await new Promise((resolve) => setImmediate(resolve));

  expect(errors.map((e) => e.message)).toEqual(['could not read Blob: the Blob could not be read']);
  expect(texts(channel.sent)).toEqual(['after the blob']);
  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer queued messages when the native channel refuses one on open: that one is dropped with an error, the rest and later sends go out in order', () => {
  const channel = new ScriptedChannel();
  const dataProducer = producerOn(channel);
  const errors: Error[] = [];
  dataProducer.on('error', (error) => errors.push(error));
  dataProducer.send('one');
  dataProducer.send('two');
  dataProducer.send('three');
  channel.refuseNext = 1;

  channel.openNow();
  dataProducer.send('four');

  expect(errors.map((e) => e.message)).toEqual([
    'a queued message of 3 bytes was dropped: libdatachannel refused the message',
  ]);
  expect(texts(channel.sent)).toEqual(['two', 'three', 'four']);
  expect(dataProducer.bufferedAmount).toBe(0);
  expect(dataProducer.readyState).toBe('open');
});

test('dataProducer queued messages when the native channel refuses one and is no longer open: flushing stops with one error, and close() empties the queue', () => {
  const channel = new ScriptedChannel();
  const dataProducer = producerOn(channel);
  const errors: Error[] = [];
  dataProducer.on('error', (error) => errors.push(error));
  for (const text of ['a', 'b', 'c']) dataProducer.send(text);
  channel.refuseNext = 3;
  channel.closesOnRefusal = true;

  channel.openNow();

  expect(errors).toHaveLength(1);
  expect(channel.sent).toEqual([]);
  // 'b' and 'c' wait for the native close callback, which closes the producer.
  expect(dataProducer.bufferedAmount).toBe(2);
  dataProducer.close();
  expect(dataProducer.bufferedAmount).toBe(0);
});

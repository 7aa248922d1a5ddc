// bufferedAmount bookkeeping, maxBufferedAmount and bufferedamountlow, on FakeHandler: the
// fake native channel holds what is sent while stalled, until drained.
import { OperationError, type DataProducer, type Transport } from 'mediasoup-data-producer';

import { numbered } from '@test-support/messages.js';
import { once, openProducer } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  recordProducerEvents,
  turns,
  type FakeApp,
} from '@test-support/fakeSession.js';

const MiB = 1024 * 1024;

let app: FakeApp;
let transport: Transport;

beforeEach(async () => {
  app = await fakeApp();
  transport = app.transport;
});

useFakeApps();

function sequences(dataProducer: DataProducer): number[] {
  return channelOf(transport, dataProducer).sent.map((m) =>
    typeof m === 'string' ? -1 : Buffer.from(m).readUInt32BE(0),
  );
}

/** Sends until send() throws OperationError; returns how many it accepted. */
function sendUntilFull(dataProducer: DataProducer, size: number, limit: number): number {
  for (let seq = 0; seq < limit; seq++) {
    try {
      dataProducer.send(numbered(seq, size));
    } catch (error) {
      expect(error).toBeInstanceOf(OperationError);
      return seq;
    }
  }
  throw new Error(`send() accepted ${limit} messages of ${size} bytes without OperationError`);
}

test('dataProducer.send() before open past maxBufferedAmount throws OperationError, keeps what it accepted and hands it over in order on open', async () => {
  const dataProducer = await transport.produceData({ maxBufferedAmount: 1000 });

  for (let seq = 0; seq < 10; seq++) dataProducer.send(numbered(seq, 100));
  expect(dataProducer.bufferedAmount).toBe(1000);
  expect(() => {
    dataProducer.send('x');
  }).toThrow(OperationError);
  expect(() => {
    dataProducer.send(new Blob(['x']));
  }).toThrow(OperationError);
  expect(dataProducer.bufferedAmount).toBe(1000);
  // An empty message adds no bytes: it still fits.
  dataProducer.send('');
  await once(dataProducer, 'open');

  expect(sequences(dataProducer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1]);
  expect(channelOf(transport, dataProducer).sent.at(-1)).toBe('');
});

test('dataProducer.send() before open with the default maxBufferedAmount accepts 16 MiB, then throws OperationError with the documented message', async () => {
  const dataProducer = await transport.produceData();
  const size = 256 * 1024;

  const accepted = sendUntilFull(dataProducer, size, 100);

  expect(accepted).toBe(64);
  expect(dataProducer.bufferedAmount).toBe(16 * MiB);
  expect(() => {
    dataProducer.send('x');
  }).toThrow(
    new OperationError(
      "cannot buffer 1 more bytes: bufferedAmount would exceed maxBufferedAmount (16777216 bytes); wait for 'bufferedamountlow'",
    ),
  );
  await once(dataProducer, 'open');
  expect(sequences(dataProducer)).toEqual(Array.from({ length: 64 }, (_, i) => i));
});

test('dataProducer.send() on an open producer whose native queue is full to maxBufferedAmount throws OperationError and hands over nothing more', async () => {
  const dataProducer = await openProducer(transport, { maxBufferedAmount: MiB });
  const channel = channelOf(transport, dataProducer);
  channel.stall();

  const accepted = sendUntilFull(dataProducer, 16 * 1024, 5000);

  expect(accepted).toBe(64);
  expect(dataProducer.bufferedAmount).toBe(MiB);
  expect(channel.sent).toHaveLength(64);
});

test('dataProducer.send() after OperationError and bufferedamountlow accepts messages again', async () => {
  const dataProducer = await openProducer(transport, { maxBufferedAmount: MiB });
  const channel = channelOf(transport, dataProducer);
  channel.stall();
  const accepted = sendUntilFull(dataProducer, 16 * 1024, 5000);

  const low = once(dataProducer, 'bufferedamountlow');
  channel.drain();
  await low;
  dataProducer.send(numbered(accepted, 16 * 1024));

  expect(sequences(dataProducer).at(-1)).toBe(accepted);
  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer.bufferedAmount is what the native channel holds plus what this layer holds', async () => {
  const dataProducer = await openProducer(transport);
  const channel = channelOf(transport, dataProducer);
  channel.stall();
  dataProducer.send(Buffer.alloc(3000));
  let read!: () => void;
  const blob = new Blob([new Uint8Array(500)]);
  Object.defineProperty(blob, 'arrayBuffer', {
    value: () =>
      new Promise<ArrayBuffer>((resolve) => {
        read = () => {
          resolve(new ArrayBuffer(500));
        };
      }),
  });

  dataProducer.send(blob);
  dataProducer.send('héllo');
  const whileReading = dataProducer.bufferedAmount;
  read();
  await turns();
  const afterRead = dataProducer.bufferedAmount;
  channel.drain(1000);

  expect(whileReading).toBe(3000 + 500 + 6);
  expect(afterRead).toBe(3000 + 500 + 6);
  expect(dataProducer.bufferedAmount).toBe(2000 + 500 + 6);
});

test('dataProducer.bufferedAmount counts bytes queued before open and returns to 0 once they are handed over', async () => {
  const dataProducer = await transport.produceData();
  dataProducer.send(Buffer.alloc(5000));
  dataProducer.send('12345');

  expect(dataProducer.bufferedAmount).toBe(5005);
  await once(dataProducer, 'open');
  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer.bufferedamountlow with threshold 0 fires once when a single message queued before open is handed over', async () => {
  const dataProducer = await transport.produceData();
  dataProducer.bufferedAmountLowThreshold = 0;
  dataProducer.send(Buffer.alloc(200 * 1024));
  const log = recordProducerEvents(dataProducer);

  await once(dataProducer, 'open');
  await turns();

  expect(log).toEqual(['bufferedamountlow', 'open']);
  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer.bufferedamountlow fires when a native queue above the threshold drains to it, with bufferedAmount at or below it', async () => {
  const dataProducer = await openProducer(transport);
  const channel = channelOf(transport, dataProducer);
  const threshold = 64 * 1024;
  dataProducer.bufferedAmountLowThreshold = threshold;
  channel.stall();
  for (let seq = 0; seq < 20; seq++) dataProducer.send(numbered(seq, 16 * 1024));
  let amountAtLow = -1;
  dataProducer.on('bufferedamountlow', () => {
    amountAtLow = dataProducer.bufferedAmount;
  });

  channel.drain(20 * 16 * 1024 - threshold);
  await once(dataProducer, 'bufferedamountlow');

  expect(amountAtLow).toBe(threshold);
});

test('dataProducer.bufferedamountlow whose native report arrives after sends raised bufferedAmount above the threshold again is held back until it drains again', async () => {
  const dataProducer = await openProducer(transport);
  const channel = channelOf(transport, dataProducer);
  const threshold = 64 * 1024;
  dataProducer.bufferedAmountLowThreshold = threshold;
  channel.stall();
  for (let seq = 0; seq < 8; seq++) dataProducer.send(numbered(seq, 16 * 1024));
  const amounts: number[] = [];
  dataProducer.on('bufferedamountlow', () => {
    amounts.push(dataProducer.bufferedAmount);
  });

  // The native queue drains to the threshold, and before its report reaches this thread the
  // app sends a burst that takes the amount far above it again.
  channel.drain(8 * 16 * 1024 - threshold);
  for (let seq = 8; seq < 20; seq++) dataProducer.send(numbered(seq, 16 * 1024));
  await turns();
  const afterStaleReport = [...amounts];
  channel.drain(Infinity);
  await once(dataProducer, 'bufferedamountlow');

  expect(afterStaleReport).toEqual([]);
  expect(amounts).toEqual([0]);
});

test('dataProducer.bufferedamountlow does not fire when bufferedAmount never rose above the threshold', async () => {
  const dataProducer = await transport.produceData();
  dataProducer.bufferedAmountLowThreshold = 10000;
  const log = recordProducerEvents(dataProducer);
  dataProducer.send(Buffer.alloc(1000));

  await once(dataProducer, 'open');
  dataProducer.send(Buffer.alloc(1000));
  await turns();

  expect(log).toEqual(['open']);
});

test('dataProducer.bufferedamountlow is not emitted for a low native queue while this layer still holds a message', async () => {
  const dataProducer = await openProducer(transport);
  const channel = channelOf(transport, dataProducer);
  channel.stall();
  dataProducer.send(Buffer.alloc(100));
  const neverRead = new Blob([new Uint8Array(10)]);
  Object.defineProperty(neverRead, 'arrayBuffer', { value: () => new Promise(() => undefined) });
  dataProducer.send(neverRead);
  const log = recordProducerEvents(dataProducer);

  channel.drain();
  await turns();

  expect(log).toEqual([]);
  expect(dataProducer.bufferedAmount).toBe(10);
});

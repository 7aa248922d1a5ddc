import { OperationError, type DataProducer, type Transport } from 'mediasoup-data-producer';

import { numbered, sequenceOf } from '@test-support/messages.js';
import {
  createTransport,
  once,
  openProducer,
  useSessionPerFile,
  type Session,
} from '@test-support/session.js';

const MiB = 1024 * 1024;

// One real router for the file; each test's transports are closed after it.
let session!: Session;
let transport: Transport;
useSessionPerFile((started) => (session = started));

beforeEach(async () => {
  transport = await createTransport(session);
});

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

test('dataProducer.send() before open with the default maxBufferedAmount accepts 16 MiB, then throws OperationError, and all of it arrives', async () => {
  const dataProducer = await transport.produceData();
  const size = 256 * 1024; // the router's default max message size

  const accepted = sendUntilFull(dataProducer, size, 100);

  expect(accepted).toBe(64);
  expect(dataProducer.bufferedAmount).toBe(16 * MiB);
  expect(() => {
    dataProducer.send('x');
  }).toThrow(OperationError);
  await once(dataProducer, 'open');
  const messages = await session.router.waitForMessages(64, { dataProducerId: dataProducer.id });
  expect(messages.map((m) => sequenceOf(m.data))).toEqual(Array.from({ length: 64 }, (_, i) => i));
  expect(messages.every((m) => m.data.length === size)).toBe(true);
});

test('dataProducer.send() on an open producer past maxBufferedAmount throws OperationError and everything accepted arrives in order', async () => {
  const dataProducer = await openProducer(transport, { maxBufferedAmount: MiB });

  const accepted = sendUntilFull(dataProducer, 16 * 1024, 5000);

  // It never holds more than the limit (it may already have drained some).
  expect(dataProducer.bufferedAmount).toBeLessThanOrEqual(MiB);
  const messages = await session.router.waitForMessages(accepted, {
    dataProducerId: dataProducer.id,
  });
  expect(messages.map((m) => sequenceOf(m.data))).toEqual(
    Array.from({ length: accepted }, (_, i) => i),
  );
});

test('dataProducer.send() after OperationError and bufferedamountlow accepts messages again', async () => {
  const dataProducer = await openProducer(transport, { maxBufferedAmount: MiB });
  dataProducer.bufferedAmountLowThreshold = 0;

  const accepted = sendUntilFull(dataProducer, 16 * 1024, 5000);
  await once(dataProducer, 'bufferedamountlow');
  dataProducer.send(numbered(accepted, 16 * 1024));

  const messages = await session.router.waitForMessages(accepted + 1, {
    dataProducerId: dataProducer.id,
  });
  expect(messages.map((m) => sequenceOf(m.data)).at(-1)).toBe(accepted);
});

test('dataProducer.bufferedAmount returns to 0 once a burst has been sent', async () => {
  const dataProducer = await openProducer(transport);
  // Until libdatachannel queues: usrsctp's own buffer in front of it takes the first MB or so.
  let seq = 0;
  while (dataProducer.bufferedAmount <= MiB && seq < 2000) {
    dataProducer.send(numbered(seq++, 32 * 1024));
  }
  expect(dataProducer.bufferedAmount).toBeGreaterThan(MiB);

  await session.router.waitForMessages(seq, { dataProducerId: dataProducer.id });

  expect(dataProducer.bufferedAmount).toBe(0);
});

test('dataProducer.bufferedamountlow fires when a burst that filled the native queue drains to the threshold', async () => {
  const dataProducer = await openProducer(transport);
  const threshold = 64 * 1024;
  dataProducer.bufferedAmountLowThreshold = threshold;
  let seq = 0;
  while (dataProducer.bufferedAmount <= 4 * threshold && seq < 2000) {
    dataProducer.send(numbered(seq++, 16 * 1024));
  }
  expect(dataProducer.bufferedAmount).toBeGreaterThan(4 * threshold);
  let amountAtLow = -1;
  dataProducer.on('bufferedamountlow', () => {
    amountAtLow = dataProducer.bufferedAmount;
  });

  await once(dataProducer, 'bufferedamountlow');

  expect(amountAtLow).toBeGreaterThanOrEqual(0);
  expect(amountAtLow).toBeLessThanOrEqual(threshold);
  await session.router.waitForMessages(seq, { dataProducerId: dataProducer.id });
});

test('dataProducer.send() 20,000 ordered messages arrive complete and in order', async () => {
  const count = 20000;
  const dataProducer = await openProducer(transport);
  dataProducer.bufferedAmountLowThreshold = 256 * 1024;

  for (let seq = 0; seq < count; seq++) {
    if (dataProducer.bufferedAmount > MiB) await once(dataProducer, 'bufferedamountlow');
    // Strings and binary alternate: both share the stream's order.
    if (seq % 2 === 0) dataProducer.send(numbered(seq, 64));
    else dataProducer.send(String(seq));
  }

  const messages = await session.router.waitForMessages(count, {
    dataProducerId: dataProducer.id,
    timeoutMs: 25000,
  });
  expect(messages.length).toBe(count);
  const outOfOrder = messages.findIndex(
    (m, i) => (i % 2 === 0 ? m.ppid === 53 && sequenceOf(m.data) : Number(m.data.toString())) !== i,
  );
  expect(outOfOrder).toBe(-1);
}, 40000);

import { InvalidStateError, type DataProducer, type Transport } from 'mediasoup-data-producer';

import {
  createTransport,
  once,
  openProducer,
  useSessionPerFile,
  type Session,
  sleep,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
let transport: Transport;
useSessionPerFile((started) => (session = started));

beforeEach(async () => {
  transport = await createTransport(session);
});

/** Every event the producer and its observer emit, in order. */
function recordEvents(dataProducer: DataProducer): string[] {
  const log: string[] = [];
  for (const event of ['open', 'close', 'transportclose', 'error', 'bufferedamountlow'] as const) {
    dataProducer.on(event, () => log.push(event));
  }
  dataProducer.observer.on('close', () => log.push('observer close'));
  return log;
}

test('router.closeDataProducer() emits close then observer close, each once', async () => {
  const dataProducer = await openProducer(transport);
  const log = recordEvents(dataProducer);

  session.router.closeDataProducer(dataProducer.id);
  await once(dataProducer.observer, 'close');
  await sleep(300);

  expect(log).toEqual(['close', 'observer close']);
  expect(dataProducer.closed).toBe(true);
  expect(dataProducer.readyState).toBe('closed');
  expect(() => {
    dataProducer.send('late');
  }).toThrow(InvalidStateError);
});

test('router.closeDataProducer() then send() before the close event throws InvalidStateError', async () => {
  const dataProducer = await openProducer(transport);
  dataProducer.send('first');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  session.router.closeDataProducer(dataProducer.id);
  // Synchronously, so that the close event cannot have been delivered yet.
  const deadline = performance.now() + 2000;
  let thrown: unknown;
  while (thrown === undefined && performance.now() < deadline) {
    try {
      dataProducer.send('racing the reset');
    } catch (error) {
      thrown = error;
    }
  }

  expect(thrown).toBeInstanceOf(InvalidStateError);
  await once(dataProducer, 'close');
});

test('router.closeDataProducer() leaves the other producers of the transport open', async () => {
  const closing = await openProducer(transport);
  const staying = await openProducer(transport);
  const stayingLog = recordEvents(staying);

  session.router.closeDataProducer(closing.id);
  await once(closing, 'close');
  staying.send('still here');

  const [message] = await session.router.waitForMessages(1, { dataProducerId: staying.id });
  expect(message?.data.toString()).toBe('still here');
  expect(staying.readyState).toBe('open');
  expect(stayingLog).toEqual([]);
});

// Every way a DataConsumer closes against the real router, and what it emits.
import type { DataConsumer, Transport } from 'mediasoup-data-producer';

import {
  consumeFromRouter,
  createRecvTransport,
  produceOnRouter,
  type RouterDataConsumer,
  type RouterDataProducer,
} from '@test-support/routerSide.js';
import { once, sleep, useSessionPerFile, type Session } from '@test-support/session.js';

let session!: Session;
let transport: Transport;
const routerProducers: RouterDataProducer[] = [];
useSessionPerFile((started) => (session = started));

beforeEach(async () => {
  transport = await createRecvTransport(session);
});

afterEach(() => {
  for (const producer of routerProducers.splice(0)) if (!producer.closed) producer.close();
});

async function openConsumer(): Promise<{
  routerProducer: RouterDataProducer;
  routerConsumer: RouterDataConsumer;
  dataConsumer: DataConsumer;
}> {
  const routerProducer = await produceOnRouter(session.router);
  routerProducers.push(routerProducer);
  const { dataConsumer, routerConsumer } = await consumeFromRouter(
    session,
    transport,
    routerProducer.id,
  );
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open', 20000);
  return { routerProducer, routerConsumer, dataConsumer };
}

/** Every event the consumer and its observer emit from now on, in order. */
function recordEvents(dataConsumer: DataConsumer): string[] {
  const log: string[] = [];
  for (const event of ['open', 'close', 'transportclose'] as const) {
    dataConsumer.on(event, () => log.push(event));
  }
  dataConsumer.on('error', (error) => log.push(`error: ${error.message}`));
  dataConsumer.observer.on('close', () => log.push('observer close'));
  return log;
}

test('routerConsumer.close() (the router resets the stream) makes the DataConsumer emit close then observer close, each once', async () => {
  const { routerConsumer, dataConsumer } = await openConsumer();
  const log = recordEvents(dataConsumer);

  routerConsumer.close();
  await once(dataConsumer.observer, 'close');
  await sleep(300);

  expect(log).toEqual(['close', 'observer close']);
  expect(dataConsumer.closed).toBe(true);
  expect(dataConsumer.readyState).toBe('closed');
});

test('routerProducer.close() (the router then closes its DataConsumer) makes the DataConsumer emit close then observer close, each once', async () => {
  const { routerProducer, routerConsumer, dataConsumer } = await openConsumer();
  const log = recordEvents(dataConsumer);

  routerProducer.close();
  await once(dataConsumer.observer, 'close');
  await sleep(300);

  expect(log).toEqual(['close', 'observer close']);
  expect(routerConsumer.closed).toBe(true);
});

test('dataConsumer.close() emits only observer close, once, and the transport keeps receiving on other DataConsumers', async () => {
  const { routerConsumer, dataConsumer } = await openConsumer();
  const log = recordEvents(dataConsumer);

  dataConsumer.close();
  dataConsumer.close();
  routerConsumer.close();
  const other = await openConsumer();
  const received = once(other.dataConsumer, 'message');
  other.routerProducer.send('still here', 51);

  expect(await received).toEqual(['still here']);
  await sleep(300);
  expect(log).toEqual(['observer close']);
  expect(transport.connectionState).toBe('connected');
});

test('transport.close() makes each DataConsumer emit transportclose then observer close, each once', async () => {
  const consumers = [await openConsumer(), await openConsumer()];
  const logs = consumers.map(({ dataConsumer }) => recordEvents(dataConsumer));

  transport.close();
  await sleep(300);

  expect(logs).toEqual([
    ['transportclose', 'observer close'],
    ['transportclose', 'observer close'],
  ]);
});

test("the router closing the recv transport makes each DataConsumer emit close then observer close, each once, and the transport 'failed'", async () => {
  const { dataConsumer } = await openConsumer();
  const log = recordEvents(dataConsumer);
  const failed = new Promise<void>((resolve) => {
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') resolve();
    });
  });

  session.router.closeTransport(transport.id);
  await once(dataConsumer.observer, 'close', 30000);
  await failed;
  await sleep(300);

  expect(log).toEqual(['close', 'observer close']);
}, 60000);

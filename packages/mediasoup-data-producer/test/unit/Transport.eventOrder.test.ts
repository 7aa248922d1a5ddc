// The order a browser gives: the transport's `connectionstatechange` to 'connected' comes
// before the first DataProducer's or DataConsumer's `open`. node-datachannel reports the
// peer's state and each channel's open through callbacks of their own, which reach the JS
// thread in either order; FakeHandler scripts the bad one (the channel opens natively first).
import type { DataConsumer, DataProducer, Transport } from 'mediasoup-data-producer';

import {
  channelOf,
  useFakeApps,
  fakeApp,
  routerDataConsumer,
  turns,
} from '@test-support/fakeSession.js';

useFakeApps();

/** The transport's connection states and the endpoints' open, error and close, in order. */
function recordOrder(
  transport: Transport,
  ...endpoints: (DataProducer | DataConsumer)[]
): string[] {
  const log: string[] = [];
  transport.on('connectionstatechange', (state) => log.push(`transport ${state}`));
  endpoints.forEach((dataChannelUser, i) => {
    // Both emit these events, with no arguments that matter here.
    const endpoint = dataChannelUser as unknown as { on(event: string, fn: () => void): void };
    endpoint.on('open', () => log.push(`open ${i}`));
    endpoint.on('error', () => log.push(`error ${i}`));
    endpoint.on('close', () => log.push(`close ${i}`));
    endpoint.on('transportclose', () => log.push(`transportclose ${i}`));
  });
  return log;
}

async function producerBeforeConnected(): Promise<{
  transport: Transport;
  handler: Awaited<ReturnType<typeof fakeApp>>['handler'];
  dataProducer: DataProducer;
}> {
  const { transport, handler } = await fakeApp({ handler: { autoConnect: false } });
  const dataProducer = await transport.produceData();
  expect(transport.connectionState).toBe('connecting');
  return { transport, handler, dataProducer };
}

async function consumerBeforeConnected(): Promise<{
  transport: Transport;
  handler: Awaited<ReturnType<typeof fakeApp>>['handler'];
  dataConsumer: DataConsumer;
}> {
  const { transport, handler } = await fakeApp({
    direction: 'recv',
    handler: { autoConnect: false },
  });
  const dataConsumer = await transport.consumeData(routerDataConsumer(0));
  expect(transport.connectionState).toBe('connecting');
  return { transport, handler, dataConsumer };
}

test("dataProducer 'open' whose channel opened natively before the transport reported connected comes after connectionstatechange 'connected'", async () => {
  const { transport, handler, dataProducer } = await producerBeforeConnected();
  const log = recordOrder(transport, dataProducer);
  dataProducer.send('early');

  channelOf(transport, dataProducer).simulateOpen();
  await turns();
  expect(log).toEqual([]);
  expect(dataProducer.readyState).toBe('connecting');
  expect(channelOf(transport, dataProducer).sent).toEqual([]);

  handler.setConnectionState('connected');
  await turns();

  expect(log).toEqual(['transport connected', 'open 0']);
  expect(dataProducer.readyState).toBe('open');
  expect(channelOf(transport, dataProducer).sent).toEqual(['early']);
});

test("dataConsumer 'open' whose channel opened natively before the transport reported connected comes after connectionstatechange 'connected'", async () => {
  const { transport, handler, dataConsumer } = await consumerBeforeConnected();
  const log = recordOrder(transport, dataConsumer);

  channelOf(transport, dataConsumer).simulateOpen();
  await turns();
  expect(log).toEqual([]);
  expect(dataConsumer.readyState).toBe('connecting');

  handler.setConnectionState('connected');
  await turns();

  expect(log).toEqual(['transport connected', 'open 0']);
  expect(dataConsumer.readyState).toBe('open');
});

test('every DataProducer held before the transport reported connected opens after it, in the order their channels opened, and a later one opens on its own', async () => {
  const { transport, handler, dataProducer } = await producerBeforeConnected();
  const second = await transport.produceData();
  const log = recordOrder(transport, dataProducer, second);

  channelOf(transport, second).simulateOpen();
  channelOf(transport, dataProducer).simulateOpen();
  await turns();
  handler.setConnectionState('connected');
  await turns();
  const third = await transport.produceData();
  const thirdLog = recordOrder(transport, third);
  await turns();

  expect(log).toEqual(['transport connected', 'open 1', 'open 0']);
  expect(thirdLog).toEqual(['open 0']);
});

test('a DataProducer whose channel opened natively and whose transport then failed before reporting connected never emits open: error, then close', async () => {
  const { transport, handler, dataProducer } = await producerBeforeConnected();
  const log = recordOrder(transport, dataProducer);

  channelOf(transport, dataProducer).simulateOpen();
  await turns();
  handler.setConnectionState('failed');
  await turns();

  expect(log).toEqual(['transport failed', 'error 0', 'close 0']);
  expect(dataProducer.closed).toBe(true);
});

test('a DataConsumer whose channel opened natively and whose transport is closed before reporting connected never emits open, only transportclose', async () => {
  const { transport, handler, dataConsumer } = await consumerBeforeConnected();
  const log = recordOrder(transport, dataConsumer);

  channelOf(transport, dataConsumer).simulateOpen();
  await turns();
  transport.close();
  handler.setConnectionState('connected');
  await turns();

  expect(log).toEqual(['transportclose 0']);
});

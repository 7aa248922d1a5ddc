// Every way a DataConsumer closes, and what it and its observer emit, on FakeHandler.
import type { DataConsumer, Transport, types } from 'mediasoup-data-producer';

import {
  channelOf,
  useFakeApps,
  fakeApp,
  handlerOf,
  recordConsumerEvents,
  routerDataConsumer,
  turns,
} from '@test-support/fakeSession.js';
import { once } from '@test-support/events.js';

useFakeApps();

async function openConsumer(): Promise<{
  transport: Transport;
  dataConsumer: DataConsumer;
  channel: types.FakeDataChannel;
}> {
  const { transport } = await fakeApp({ direction: 'recv' });
  const dataConsumer = await transport.consumeData(routerDataConsumer(0));
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open');
  return { transport, dataConsumer, channel: channelOf(transport, dataConsumer) };
}

describe('DataConsumer close paths', () => {
  test('dataConsumer.close() closes the channel locally and emits only the observer close, once', async () => {
    const { dataConsumer, channel } = await openConsumer();
    const events = recordConsumerEvents(dataConsumer);

    dataConsumer.close();
    dataConsumer.close();
    await turns();

    expect(events).toEqual(['observer close']);
    expect(dataConsumer.closed).toBe(true);
    expect(dataConsumer.readyState).toBe('closed');
    expect(channel.closedLocally).toBe(true);
  });

  test('dataConsumer whose channel the router resets emits close and observer close, once', async () => {
    const { dataConsumer, channel } = await openConsumer();
    const events = recordConsumerEvents(dataConsumer);
    const closed = once(dataConsumer, 'close');

    channel.simulateClose();
    await closed;
    dataConsumer.close();
    await turns();

    expect(events).toEqual(['close', 'observer close']);
    expect(dataConsumer.closed).toBe(true);
    expect(channel.closedLocally).toBe(false);
  });

  test('dataConsumer whose channel the router resets before it opened emits error, close and observer close', async () => {
    const { transport } = await fakeApp({ direction: 'recv', handler: { autoConnect: false } });
    const dataConsumer = await transport.consumeData(routerDataConsumer(0));
    const events = recordConsumerEvents(dataConsumer);
    const closed = once(dataConsumer, 'close');

    channelOf(transport, dataConsumer).simulateClose();
    await closed;
    await turns();

    expect(events).toEqual([
      'error: DataConsumer closed before it opened',
      'close',
      'observer close',
    ]);
  });

  test('transport.close() makes each DataConsumer emit transportclose and observer close, once, and closes its channel', async () => {
    const { transport } = await fakeApp({ direction: 'recv' });
    const consumers = await Promise.all(
      [0, 1, 2].map((streamId) => transport.consumeData(routerDataConsumer(streamId))),
    );
    const logs = consumers.map(recordConsumerEvents);

    transport.close();
    transport.close();
    await turns();

    expect(logs).toEqual([
      ['transportclose', 'observer close'],
      ['transportclose', 'observer close'],
      ['transportclose', 'observer close'],
    ]);
    expect(consumers.map((c) => c.closed)).toEqual([true, true, true]);
    expect(handlerOf(transport).dataChannels.map((c) => c.closed)).toEqual([true, true, true]);
  });

  test('transport.close() after dataConsumer.close() emits nothing more for that DataConsumer', async () => {
    const { transport, dataConsumer } = await openConsumer();
    const events = recordConsumerEvents(dataConsumer);

    dataConsumer.close();
    transport.close();
    await turns();

    expect(events).toEqual(['observer close']);
  });

  test("transport connection 'failed' makes each open DataConsumer emit close and observer close, once", async () => {
    const { transport, dataConsumer } = await openConsumer();
    const events = recordConsumerEvents(dataConsumer);

    handlerOf(transport).setConnectionState('failed');
    transport.close();
    await turns();

    expect(events).toEqual(['close', 'observer close']);
  });

  test("transport connection 'failed' before a DataConsumer opened makes it emit error, close and observer close", async () => {
    const { transport } = await fakeApp({ direction: 'recv', handler: { autoConnect: false } });
    const dataConsumer = await transport.consumeData(routerDataConsumer(0));
    const events = recordConsumerEvents(dataConsumer);

    handlerOf(transport).setConnectionState('failed');
    await turns();

    expect(events).toEqual([
      'error: DataConsumer could not connect: the transport failed',
      'close',
      'observer close',
    ]);
  });

  test('dataConsumer close listener that throws does not stop the observer close', async () => {
    const { dataConsumer, channel } = await openConsumer();
    dataConsumer.on('close', () => {
      throw new Error('listener bug');
    });
    const observerClosed = once(dataConsumer.observer, 'close');

    channel.simulateClose();

    await expect(observerClosed).resolves.toEqual([]);
  });

  test('dataConsumer.close() inside its own message listener closes it once and delivers nothing more', async () => {
    const { dataConsumer, channel } = await openConsumer();
    const events = recordConsumerEvents(dataConsumer);
    const seen: unknown[] = [];
    dataConsumer.on('message', (message) => {
      seen.push(message);
      dataConsumer.close();
    });

    channel.simulateMessage('one');
    channel.simulateMessage('two');
    await turns();

    expect(seen).toEqual(['one']);
    expect(events).toEqual(['observer close']);
  });
});

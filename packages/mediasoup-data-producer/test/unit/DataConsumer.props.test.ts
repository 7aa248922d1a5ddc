// A DataConsumer's properties and their setters, on FakeHandler.
import type { DataConsumer, Transport } from 'mediasoup-data-producer';

import {
  channelOf,
  useFakeApps,
  fakeApp,
  handlerOf,
  routerDataConsumer,
  turns,
} from '@test-support/fakeSession.js';
import { once } from '@test-support/events.js';

useFakeApps();

async function consumer(
  options: { autoConnect?: boolean } = {},
): Promise<{ transport: Transport; dataConsumer: DataConsumer }> {
  const { transport } = await fakeApp({ direction: 'recv', handler: options });
  const dataConsumer = await transport.consumeData(
    routerDataConsumer(3, {
      id: 'dc',
      dataProducerId: 'dp',
      sctpStreamParameters: { streamId: 3, ordered: false, maxPacketLifeTime: 500 },
      label: 'telemetry',
      protocol: 'json',
      appData: { room: 'a' },
    }),
  );
  return { transport, dataConsumer };
}

class NotPlain {
  readonly kind = 'not plain';
}

describe('DataConsumer properties', () => {
  test('dataConsumer properties report what consumeData() was given', async () => {
    const { dataConsumer } = await consumer();

    expect({
      id: dataConsumer.id,
      dataProducerId: dataConsumer.dataProducerId,
      closed: dataConsumer.closed,
      sctpStreamParameters: dataConsumer.sctpStreamParameters,
      label: dataConsumer.label,
      protocol: dataConsumer.protocol,
      appData: dataConsumer.appData,
      binaryType: dataConsumer.binaryType,
    }).toEqual({
      id: 'dc',
      dataProducerId: 'dp',
      closed: false,
      sctpStreamParameters: { streamId: 3, ordered: false, maxPacketLifeTime: 500 },
      label: 'telemetry',
      protocol: 'json',
      appData: { room: 'a' },
      binaryType: 'arraybuffer',
    });
  });

  test('dataConsumer.sctpStreamParameters returns a copy: changing it changes nothing', async () => {
    const { dataConsumer } = await consumer();

    dataConsumer.sctpStreamParameters.streamId = 99;

    expect(dataConsumer.sctpStreamParameters.streamId).toBe(3);
  });

  test("dataConsumer.readyState is 'connecting' until the channel opens, then 'open' with an open event, then 'closed'", async () => {
    const { transport, dataConsumer } = await consumer({ autoConnect: false });
    const before = dataConsumer.readyState;

    handlerOf(transport).setConnectionState('connected');
    await once(dataConsumer, 'open');
    const opened = dataConsumer.readyState;
    dataConsumer.close();

    expect([before, opened, dataConsumer.readyState]).toEqual(['connecting', 'open', 'closed']);
  });

  test('dataConsumer open event fires once when the channel was already open before consumeData() resolved', async () => {
    const { transport } = await fakeApp({ direction: 'recv' });
    await transport.consumeData(routerDataConsumer(0));
    await turns();
    let opens = 0;

    const second = await transport.consumeData(routerDataConsumer(1));
    second.on('open', () => opens++);
    await turns();

    expect(opens).toBe(1);
    expect(second.readyState).toBe('open');
  });

  test.each(['arraybuffer', 'blob', 'nodebuffer'] as const)(
    "dataConsumer.binaryType set to '%s' reads it back",
    async (binaryType) => {
      const { dataConsumer } = await consumer();

      dataConsumer.binaryType = binaryType;

      expect(dataConsumer.binaryType).toBe(binaryType);
    },
  );

  test.each([['text'], ['ArrayBuffer'], [''], [null], [undefined], [1]])(
    'dataConsumer.binaryType set to %p throws TypeError and keeps the previous one',
    async (value) => {
      const { dataConsumer } = await consumer();
      dataConsumer.binaryType = 'blob';

      expect(() => {
        dataConsumer.binaryType = value as unknown as 'blob';
      }).toThrow(TypeError);
      expect(() => {
        dataConsumer.binaryType = value as unknown as 'blob';
      }).toThrow(/^binaryType must be 'arraybuffer', 'blob' or 'nodebuffer', got /);
      expect(dataConsumer.binaryType).toBe('blob');
    },
  );

  test('dataConsumer.appData set to a plain object replaces it', async () => {
    const { dataConsumer } = await consumer();
    const appData = { room: 'b' };

    dataConsumer.appData = appData;

    expect(dataConsumer.appData).toBe(appData);
  });

  test.each([[null], [[]], ['x'], [new NotPlain()]])(
    'dataConsumer.appData set to %p throws TypeError and keeps the previous one',
    async (value) => {
      const { dataConsumer } = await consumer();

      expect(() => {
        dataConsumer.appData = value as unknown as Record<string, unknown>;
      }).toThrow(new TypeError('appData must be a plain object'));
      expect(dataConsumer.appData).toEqual({ room: 'a' });
    },
  );

  test('dataConsumer error event carries the native error message', async () => {
    const { transport, dataConsumer } = await consumer();
    const errored = once(dataConsumer, 'error');

    channelOf(transport, dataConsumer).simulateError('sctp trouble');

    const [error] = (await errored) as [Error];
    expect(error.message).toBe('sctp trouble');
    expect(dataConsumer.closed).toBe(false);
  });
});

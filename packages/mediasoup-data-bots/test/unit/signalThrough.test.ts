// signalThrough(): a transport's connect and producedata answered by a signaling adapter, on
// FakeHandler (no router needed).
import type { types } from 'mediasoup-data-producer';

import { signalThrough } from '../../src/signalThrough.js';
import type { ProduceDataRequest, SignalingAdapter } from '../../src/adapter.js';
import { useFakeApps, fakeApp } from '@test-support/fakeSession.js';

useFakeApps();

type Calls = { connect: { transportId: string }[]; produce: ProduceDataRequest[] };

function adapter(
  produce: (request: ProduceDataRequest) => Promise<{ id: string }> = () =>
    Promise.resolve({ id: 'server-data-producer' }),
): Pick<SignalingAdapter, 'connectWebRtcTransport' | 'produceData'> & { calls: Calls } {
  const calls: Calls = { connect: [], produce: [] };
  return {
    calls,
    connectWebRtcTransport: (request) => {
      calls.connect.push({ transportId: request.transportId });
      return Promise.resolve();
    },
    produceData: (request) => {
      calls.produce.push(request);
      return produce(request);
    },
  };
}

test('signalThrough() on a send transport connects and produces through the adapter, with the server id', async () => {
  const { transport } = await fakeApp({ answer: false });
  const app = adapter();
  signalThrough(transport, app);

  const dataProducer = await transport.produceData({
    label: 'chat',
    protocol: 'json',
    appData: { room: 'r1' },
  });

  expect(dataProducer.id).toBe('server-data-producer');
  expect(app.calls.connect).toEqual([{ transportId: transport.id }]);
  expect(app.calls.produce).toEqual([
    {
      transportId: transport.id,
      sctpStreamParameters: dataProducer.sctpStreamParameters,
      label: 'chat',
      protocol: 'json',
      appData: { room: 'r1' },
    },
  ]);
});

test('signalThrough() when the adapter rejects produceData rejects transport.produceData() with its error', async () => {
  const { transport } = await fakeApp({ answer: false });
  signalThrough(
    transport,
    adapter(() => Promise.reject(new Error('room is full'))),
  );

  await expect(transport.produceData()).rejects.toThrow('room is full');
});

test('signalThrough() on a recv transport answers connect only', async () => {
  const { transport } = await fakeApp({ answer: false, direction: 'recv' });
  signalThrough(transport, adapter());

  expect(transport.listenerCount('connect')).toBe(1);
  expect(transport.listenerCount('producedata')).toBe(0);
  const parameters: types.DataConsumerOptions = {
    id: 'server-data-consumer',
    dataProducerId: 'server-data-producer',
    sctpStreamParameters: { streamId: 0, ordered: true },
  };
  await expect(transport.consumeData(parameters)).resolves.toMatchObject({
    id: 'server-data-consumer',
  });
});

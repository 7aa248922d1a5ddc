// waitOpen(): the one wait for a DataProducer or a DataConsumer to open, on FakeHandler.
import { waitOpen } from '../../src/waits.js';
import { useFakeApps, fakeApp, routerDataConsumer } from '@test-support/fakeSession.js';

useFakeApps();

test('waitOpen() of a DataProducer that never connects rejects naming it after ms', async () => {
  const { transport } = await fakeApp({ handler: { autoConnect: false } });
  const dataProducer = await transport.produceData({ label: 'chat' });

  await expect(waitOpen(dataProducer, 10)).rejects.toThrow(
    'DataProducer did not open within 10 ms',
  );
});

test('waitOpen() of a DataConsumer closed before it opened rejects naming it', async () => {
  const { transport } = await fakeApp({ direction: 'recv', handler: { autoConnect: false } });
  const dataConsumer = await transport.consumeData(routerDataConsumer(1));
  const waiting = waitOpen(dataConsumer, 1000);

  dataConsumer.close();

  await expect(waiting).rejects.toThrow('DataConsumer closed before it opened');
});

test('waitOpen() of a DataProducer resolves when it opens, and at once when the signal aborts', async () => {
  const { transport } = await fakeApp();
  const dataProducer = await transport.produceData({ label: 'chat' });
  await expect(waitOpen(dataProducer, 1000)).resolves.toBeUndefined();
  expect(dataProducer.readyState).toBe('open');

  const stalled = await fakeApp({ handler: { autoConnect: false } });
  const other = await stalled.transport.produceData({ label: 'chat' });
  await expect(waitOpen(other, 60_000, AbortSignal.abort())).resolves.toBeUndefined();
});

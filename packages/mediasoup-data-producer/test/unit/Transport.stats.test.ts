// getStats() on FakeHandler: the entries the transport builds from the handler's numbers and
// from its DataProducers' counters.
import { InvalidStateError, type DataProducer, type types } from 'mediasoup-data-producer';

import { openProducer } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  rejectionOf,
  routerDataConsumer,
  turns,
} from '@test-support/fakeSession.js';

useFakeApps();

function byType(report: Map<string, types.TransportStat>, type: string): types.TransportStat[] {
  return [...report.values()].filter((stat) => stat.type === type);
}

test("transport.getStats() before the first produceData() gives only a 'transport' entry with nothing sent", async () => {
  const { transport } = await fakeApp();

  const report = await transport.getStats();

  expect([...report.keys()]).toEqual(['T01']);
  expect(report.get('T01')).toEqual({
    id: 'T01',
    type: 'transport',
    timestamp: expect.any(Number) as number,
    bytesSent: 0,
    bytesReceived: 0,
    connectionState: 'new',
  });
});

test("transport.getStats() of a connected transport gives 'transport', 'candidate-pair' and both candidate entries from the handler's numbers", async () => {
  const { transport } = await fakeApp();
  const dataProducer = await openProducer(transport, { label: 'x' });
  dataProducer.send('12345');

  const report = await transport.getStats();

  expect([...report.keys()]).toEqual([
    'T01',
    'CP01',
    'CL01',
    'CR01',
    `D${dataProducer.sctpStreamParameters.streamId}`,
  ]);
  expect(report.get('T01')).toMatchObject({
    bytesSent: 5,
    connectionState: 'connected',
    selectedCandidatePairId: 'CP01',
  });
  expect(report.get('CP01')).toMatchObject({
    type: 'candidate-pair',
    state: 'succeeded',
    nominated: true,
    localCandidateId: 'CL01',
    remoteCandidateId: 'CR01',
    currentRoundTripTime: 0.001,
  });
  expect(report.get('CL01')).toMatchObject({ type: 'local-candidate', protocol: 'udp' });
  expect(report.get('CR01')).toMatchObject({
    type: 'remote-candidate',
    address: '127.0.0.1',
    port: 40000,
    protocol: 'udp',
    candidateType: 'host',
  });
});

test("transport.getStats() gives one 'data-channel' entry per data producer with messagesSent and bytesSent of what it handed over", async () => {
  const { transport } = await fakeApp();
  const chat = await openProducer(transport, { label: 'chat' });
  const bulk = await openProducer(transport, { label: 'bulk' });
  const idle = await openProducer(transport, { label: 'idle' });
  const texts = ['hello', 'héllo', ''];
  for (const text of texts) chat.send(text);
  bulk.send(new Uint8Array(3000));
  bulk.send(Buffer.from([1, 2, 3]));

  const report = await transport.getStats();

  const channels = byType(report, 'data-channel');
  expect(channels).toHaveLength(3);
  const of = (dataProducer: DataProducer): types.TransportStat | undefined =>
    channels.find((stat) => stat.dataProducerId === dataProducer.id);
  expect(of(chat)).toMatchObject({
    id: `D${chat.sctpStreamParameters.streamId}`,
    label: 'chat',
    protocol: '',
    dataChannelIdentifier: chat.sctpStreamParameters.streamId,
    state: 'open',
    messagesSent: 3,
    bytesSent: texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
  });
  expect(of(bulk)).toMatchObject({ label: 'bulk', messagesSent: 2, bytesSent: 3003 });
  expect(of(idle)).toMatchObject({ label: 'idle', messagesSent: 0, bytesSent: 0 });
});

test('transport.getStats() leaves out a producer whose produceData() has not resolved, and drops the entry of a closed one', async () => {
  const app = await fakeApp({ answer: false });
  app.transport.on('connect', (_parameters, callback) => {
    callback();
  });
  let answer: (() => void) | undefined;
  app.transport.on('producedata', ({ label }, callback) => {
    if (label === 'pending') {
      answer = () => {
        callback({ id: label });
      };
    } else callback({ id: label });
  });
  const kept = await openProducer(app.transport, { label: 'kept' });
  const closed = await openProducer(app.transport, { label: 'closed' });
  closed.close();
  const pending = app.transport.produceData({ label: 'pending' });
  await turns();
  const asked = answer !== undefined;

  const report = await app.transport.getStats();
  answer?.();
  await pending;

  expect(asked).toBe(true);
  expect(byType(report, 'data-channel').map((stat) => stat.dataProducerId)).toEqual([kept.id]);
});

test('transport.getStats() after close() rejects with InvalidStateError', async () => {
  const { transport } = await fakeApp();
  await transport.produceData();
  transport.close();

  expect(await rejectionOf(transport.getStats())).toEqual(
    new InvalidStateError('transport is closed'),
  );
});

test("transport.getStats() of a recv transport: the 'transport' entry counts what the whole association received, closed consumers too, and each 'data-channel' entry its own consumer's", async () => {
  const { transport } = await fakeApp({ direction: 'recv' });
  const first = await transport.consumeData(routerDataConsumer(0));
  const second = await transport.consumeData(routerDataConsumer(1));
  await turns();
  channelOf(transport, first).simulateMessage('héllo');
  channelOf(transport, second).simulateMessage(Buffer.from([1, 2, 3]));
  await turns();
  first.close();

  const report = await transport.getStats();

  expect(report.get('T01')).toMatchObject({ bytesSent: 0, bytesReceived: 6 + 3 });
  expect(report.has('D0')).toBe(false);
  expect(report.get('D1')).toMatchObject({ messagesReceived: 1, bytesReceived: 3 });
});

import {
  InvalidStateError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { createTransport, once, type Session, useSessionPerFile } from '../support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

async function openProducer(transport: Transport, label: string): Promise<DataProducer> {
  const dataProducer = await transport.produceData({ label });
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
  return dataProducer;
}

function byType(report: Map<string, types.TransportStat>, type: string): types.TransportStat[] {
  return [...report.values()].filter((stat) => stat.type === type);
}

test("transport.getStats() after sending gives a Map with a 'transport' entry whose bytesSent > 0", async () => {
  const transport = await createTransport(session);
  const dataProducer = await openProducer(transport, 'bytes');
  dataProducer.send('x'.repeat(1000));
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  const report = await transport.getStats();

  expect(report).toBeInstanceOf(Map);
  const [transportStat, ...others] = byType(report, 'transport');
  expect(others).toEqual([]);
  expect(transportStat).toMatchObject({ type: 'transport', connectionState: 'connected' });
  expect(transportStat?.bytesSent).toBeGreaterThanOrEqual(1000);
  expect(report.get(transportStat?.id ?? '')).toBe(transportStat);
});

test("transport.getStats() of a connected transport gives a 'candidate-pair' entry with a round-trip time and its local and remote candidates", async () => {
  const transport = await createTransport(session);
  const dataProducer = await openProducer(transport, 'rtt');
  dataProducer.send('ping');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  const report = await transport.getStats();

  const [pair, ...others] = byType(report, 'candidate-pair');
  expect(others).toEqual([]);
  expect(pair?.currentRoundTripTime).toEqual(expect.any(Number));
  expect(pair?.currentRoundTripTime).toBeGreaterThanOrEqual(0);
  expect(pair?.currentRoundTripTime).toBeLessThan(1);
  const local = report.get(String(pair?.localCandidateId));
  const remote = report.get(String(pair?.remoteCandidateId));
  expect(local).toMatchObject({ type: 'local-candidate', address: '127.0.0.1', protocol: 'udp' });
  expect(remote).toMatchObject({ type: 'remote-candidate', address: '127.0.0.1', protocol: 'udp' });
});

test("transport.getStats() gives one 'data-channel' entry per data producer with messagesSent and bytesSent matching what was sent", async () => {
  const transport = await createTransport(session);
  const chat = await openProducer(transport, 'chat');
  const bulk = await openProducer(transport, 'bulk');
  const idle = await openProducer(transport, 'idle');
  const texts = ['hello', 'héllo', ''];
  for (const text of texts) chat.send(text);
  bulk.send(new Uint8Array(3000));
  bulk.send(Buffer.from([1, 2, 3]));
  await session.router.waitForMessages(3, { dataProducerId: chat.id });
  await session.router.waitForMessages(2, { dataProducerId: bulk.id });

  const report = await transport.getStats();

  const channels = byType(report, 'data-channel');
  expect(channels).toHaveLength(3);
  const of = (dataProducer: DataProducer): types.TransportStat | undefined =>
    channels.find((stat) => stat.dataProducerId === dataProducer.id);
  expect(of(chat)).toMatchObject({
    label: 'chat',
    dataChannelIdentifier: chat.sctpStreamParameters.streamId,
    state: 'open',
    messagesSent: 3,
    bytesSent: texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
  });
  expect(of(bulk)).toMatchObject({ label: 'bulk', messagesSent: 2, bytesSent: 3003 });
  expect(of(idle)).toMatchObject({ label: 'idle', messagesSent: 0, bytesSent: 0 });
});

test("transport.getStats() drops the 'data-channel' entry of a closed producer", async () => {
  const transport = await createTransport(session);
  const kept = await openProducer(transport, 'kept');
  const closed = await openProducer(transport, 'closed');

  closed.close();
  const report = await transport.getStats();

  expect(byType(report, 'data-channel').map((stat) => stat.dataProducerId)).toEqual([kept.id]);
});

test("transport.getStats() before the first produceData() gives only a 'transport' entry with nothing sent", async () => {
  const transport = await createTransport(session);

  const report = await transport.getStats();

  expect([...report.values()].map((stat) => stat.type)).toEqual(['transport']);
  expect(byType(report, 'transport')[0]).toMatchObject({ bytesSent: 0, connectionState: 'new' });
});

test('transport.getStats() after close() rejects with InvalidStateError', async () => {
  const transport = await createTransport(session);
  await openProducer(transport, 'x');
  transport.close();

  await expect(transport.getStats()).rejects.toThrow(InvalidStateError);
});

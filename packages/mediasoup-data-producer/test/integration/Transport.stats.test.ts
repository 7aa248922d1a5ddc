import { type types } from 'mediasoup-data-producer';

import {
  consumeFromRouter,
  createRecvTransport,
  produceOnRouter,
} from '@test-support/routerSide.js';
import {
  createTransport,
  once,
  openProducer,
  type Session,
  useSessionPerFile,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

function byType(report: Map<string, types.TransportStat>, type: string): types.TransportStat[] {
  return [...report.values()].filter((stat) => stat.type === type);
}

test("transport.getStats() after sending gives a Map with a 'transport' entry whose bytesSent > 0", async () => {
  const transport = await createTransport(session);
  const dataProducer = await openProducer(transport, { label: 'bytes' });
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
  const dataProducer = await openProducer(transport, { label: 'rtt' });
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

test("transport.getStats() of a recv transport: the 'transport' entry's bytesReceived is the payload node-datachannel received over the association, the 'data-channel' entry its DataConsumer's", async () => {
  const transport = await createRecvTransport(session);
  const routerProducer = await produceOnRouter(session.router, { label: 'stats' });
  try {
    const { dataConsumer } = await consumeFromRouter(session, transport, routerProducer.id);
    await once(dataConsumer, 'open', 20000);
    const received = new Promise((resolve) => {
      let count = 0;
      dataConsumer.on('message', () => {
        if (++count === 3) resolve(undefined);
      });
    });
    for (let i = 0; i < 3; i++) routerProducer.send('y'.repeat(100), 51);
    await received;

    const report = await transport.getStats();

    expect(report.get('T01')).toMatchObject({ bytesSent: 0, bytesReceived: 300 });
    expect(report.get(`D${dataConsumer.sctpStreamParameters.streamId}`)).toMatchObject({
      type: 'data-channel',
      messagesReceived: 3,
      bytesReceived: 300,
    });
  } finally {
    routerProducer.close();
  }
});

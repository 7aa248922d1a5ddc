// Signaling answers whose outcome shows on the wire: after a refusal, the next producer's
// stream works. The rules themselves are tested on FakeHandler (test/unit/Transport.signaling).
import { type DataProducer, type Transport, type types } from 'mediasoup-data-producer';

import { once, type Session, useSessionPerFile } from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

async function newTransport(options: Partial<types.TransportOptions> = {}): Promise<Transport> {
  const params = await session.router.createWebRtcTransport();
  const transport = session.device.createSendTransport({ ...params, ...options });
  session.transports.push(transport);
  return transport;
}

/** `connect` answered by the local router. */
function routerConnect(transport: Transport): void {
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    session.router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
}

/** `producedata` answered by the local router; records what it was given. */
function routerProduceData(transport: Transport): types.ProduceDataParameters[] {
  const seen: types.ProduceDataParameters[] = [];
  transport.on('producedata', (parameters, callback, errback) => {
    seen.push(parameters);
    session.router.produceData(transport.id, parameters).then(callback, errback);
  });
  return seen;
}

async function sendAndReceive(dataProducer: DataProducer, text: string): Promise<string> {
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
  dataProducer.send(text);
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  return message?.data.toString() ?? '';
}

describe("'producedata' answers", () => {
  test('transport.produceData() whose producedata errback is called rejects with that error and the next produceData() takes the next stream id and delivers', async () => {
    const transport = await newTransport();
    routerConnect(transport);
    const produced = routerProduceData(transport);
    const first = await transport.produceData({ label: 'first' });
    expect(await sendAndReceive(first, 'association up')).toBe('association up');
    const refused = new Error('the server said no');
    transport.removeAllListeners('producedata');
    const refusedStreamIds: number[] = [];
    transport.once('producedata', ({ sctpStreamParameters }, _callback, errback) => {
      refusedStreamIds.push(sctpStreamParameters.streamId);
      errback(refused);
    });

    await expect(transport.produceData({ label: 'refused' })).rejects.toBe(refused);
    routerProduceData(transport);
    const next = await transport.produceData({ label: 'accepted' });

    expect(produced).toHaveLength(1);
    expect(refusedStreamIds).toEqual([1]);
    expect(next.sctpStreamParameters.streamId).toBe(2);
    expect(await sendAndReceive(next, 'after a refusal')).toBe('after a refusal');
  });

  test('transport.produceData() whose producedata errback comes before the SCTP association is up rejects with that error and the next produceData() delivers', async () => {
    const transport = await newTransport();
    routerConnect(transport);
    const refused = new Error('the server said no');
    transport.once('producedata', (_parameters, _callback, errback) => {
      errback(refused);
    });

    await expect(transport.produceData({ label: 'refused' })).rejects.toBe(refused);
    routerProduceData(transport);
    const next = await transport.produceData({ label: 'accepted' });

    expect(await sendAndReceive(next, 'after an early errback')).toBe('after an early errback');
    const closed = once(next, 'close');
    session.router.closeDataProducer(next.id);
    await closed;
  });
});

describe("'connect' answers", () => {
  test('transport.produceData() whose connect errback is called rejects with that error; the next produceData() emits connect again and delivers', async () => {
    const transport = await newTransport();
    const refused = new Error('cannot connect now');
    const connects: types.DtlsParameters[] = [];
    transport.once('connect', ({ dtlsParameters }, _callback, errback) => {
      connects.push(dtlsParameters);
      errback(refused);
    });
    routerProduceData(transport);

    await expect(transport.produceData()).rejects.toBe(refused);
    expect(transport.connectionState).toBe('new');
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      connects.push(dtlsParameters);
      session.router.connect(transport.id, { dtlsParameters }).then(callback, errback);
    });
    const dataProducer = await transport.produceData();

    expect(connects).toHaveLength(2);
    expect(connects[1]).toEqual(connects[0]);
    expect(await sendAndReceive(dataProducer, 'second connect')).toBe('second connect');
  });
});

import { type DataProducer, type Transport } from 'mediasoup-data-producer';

import { createTransport, once, startSession, type Session } from '../support/session.js';

let session: Session;
let transport: Transport;

beforeEach(async () => {
  session = await startSession();
  transport = await createTransport(session);
});

afterEach(async () => {
  await session.close();
});

async function openProducer(): Promise<DataProducer> {
  const dataProducer = await transport.produceData({ label: 'chat' });
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open');
  return dataProducer;
}

test('dataProducer.send() a string, binary, empty string and empty binary arrive with PPIDs 51, 53, 56, 57', async () => {
  const dataProducer = await openProducer();
  dataProducer.send('hello');
  dataProducer.send(Buffer.from([1, 2, 3]));
  dataProducer.send('');
  dataProducer.send(new Uint8Array(0));

  const messages = await session.router.waitForMessages(4, { dataProducerId: dataProducer.id });

  expect(messages.map((m) => m.ppid)).toEqual([51, 53, 56, 57]);
  expect(messages[0]?.data.toString()).toBe('hello');
  expect([...(messages[1]?.data ?? [])]).toEqual([1, 2, 3]);
});

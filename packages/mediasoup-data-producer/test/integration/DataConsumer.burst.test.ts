// A burst of 5,000 short messages, client → router → client, as two bots of a room send and
// receive: mediasoup 3.8's worker keeps at most 512 DATA chunks toward each consumer and drops
// the rest, so the sender must not outrun it. setRouterFriendlySctpSettings() bounds what a
// sender keeps in flight; libdatachannel's defaults do not.
import { setSctpSettings } from 'node-datachannel';

import {
  ROUTER_FRIENDLY_SCTP_SETTINGS,
  setRouterFriendlySctpSettings,
  type DataConsumer,
} from 'mediasoup-data-producer';

import { consumeOnRouter, createRecvTransport } from '@test-support/routerSide.js';
import {
  createTransport,
  once,
  openProducer,
  routerVersionAtLeast,
  sleep,
  useSessionPerFile,
  waitUntil,
  type Session,
} from '@test-support/session.js';

jest.setTimeout(240000);

let session!: Session;
useSessionPerFile((started) => (session = started));

// The settings are process-wide: the next test file in this Jest worker gets libdatachannel's
// defaults back.
afterAll(() => {
  setSctpSettings({});
});

const COUNT = 5000;

interface Outcome {
  received: number;
  /** What the router reported it dropped toward the consumer (sctpsendbufferfull). */
  dropped: number;
}

/** Bot A sends COUNT short texts at once; bot B counts what its DataConsumer gets. */
async function burstThroughRouter(): Promise<Outcome> {
  const sendTransport = await createTransport(session);
  const recvTransport = await createRecvTransport(session);
  const dataProducer = await openProducer(sendTransport, { label: 'chat' });
  const routerConsumer = await consumeOnRouter(session.router, recvTransport.id, {
    dataProducerId: dataProducer.id,
  });
  let dropped = 0;
  routerConsumer.on('sctpsendbufferfull', () => {
    dropped++;
  });
  const dataConsumer: DataConsumer = await recvTransport.consumeData({
    id: routerConsumer.id,
    dataProducerId: dataProducer.id,
    sctpStreamParameters: routerConsumer.sctpStreamParameters,
    label: routerConsumer.label,
    protocol: routerConsumer.protocol,
  });
  let received = 0;
  dataConsumer.on('message', () => {
    received++;
  });
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open');

  for (let i = 0; i < COUNT; i++) dataProducer.send(`message ${i}`);
  // Done when all arrived, or when nothing more arrived for a second.
  let last = -1;
  let lastChange = performance.now();
  await waitUntil(
    () => {
      if (received !== last) [last, lastChange] = [received, performance.now()];
      return received === COUNT || performance.now() - lastChange > 1000;
    },
    60000,
    'the burst to settle',
    5,
  );
  sendTransport.close();
  recvTransport.close();
  await sleep(100);
  return { received, dropped };
}

// Only mediasoup 3.8 (usrsctp) drops: >= 3.20 delivered every burst with either setting.
(routerVersionAtLeast('3.20.0') ? test.skip : test)(
  "with libdatachannel's default SCTP settings, mediasoup 3.8 drops part of a 5,000-message burst toward the consumer",
  async () => {
    setSctpSettings({});
    const outcomes: Outcome[] = [];
    for (let round = 0; round < 3; round++) outcomes.push(await burstThroughRouter());

    const lost = outcomes.reduce((sum, o) => sum + COUNT - o.received, 0);
    expect(lost).toBeGreaterThan(0);
    // What was lost is what the router said it dropped.
    expect(outcomes.map((o) => o.received + o.dropped)).toEqual([COUNT, COUNT, COUNT]);
  },
);

test('with setRouterFriendlySctpSettings(), a burst of 5,000 short messages client → router → client arrives whole, 5 rounds in a row', async () => {
  setRouterFriendlySctpSettings();
  const outcomes: Outcome[] = [];
  for (let round = 0; round < 5; round++) outcomes.push(await burstThroughRouter());

  expect(outcomes).toEqual(Array.from({ length: 5 }, () => ({ received: COUNT, dropped: 0 })));
});

test('setRouterFriendlySctpSettings() rejects what node-datachannel would misread, with TypeError, and keeps ROUTER_FRIENDLY_SCTP_SETTINGS frozen', () => {
  for (const bad of [
    { maxChunksOnQueue: -1 },
    { sendBufferSize: 1.5 },
    { delayedSackTime: '20' },
    { maxBurst: 4 },
    [],
  ]) {
    expect(() => {
      setRouterFriendlySctpSettings(bad as never);
    }).toThrow(TypeError);
  }
  expect(Object.isFrozen(ROUTER_FRIENDLY_SCTP_SETTINGS)).toBe(true);
  expect(ROUTER_FRIENDLY_SCTP_SETTINGS).toEqual({ maxChunksOnQueue: 64 });
});

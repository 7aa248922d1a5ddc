// A bad network between client and router: 10% loss, duplicates and reordering in both
// directions, through the UdpRelay (kernel netem is not available on CI machines).
import type { DataProducer } from 'mediasoup-data-producer';

import { createRelayedTransport, numbered, sequenceOf } from '@test-support/faults.js';
import {
  startSession,
  type Session,
  openProducer,
  sleep,
  waitUntil,
} from '@test-support/session.js';
import type { DirectionFaults, UdpRelay } from '@test-support/udpRelay.js';

jest.setTimeout(90000);

const LOSSY: DirectionFaults = {
  loss: 0.1,
  duplicate: 0.05,
  reorder: 0.1,
  reorderDelayMs: 15,
  delayMs: 2,
  jitterMs: 4,
};

let session: Session;
let relay: UdpRelay | undefined;

// A fresh router per test: a lossy test leaves router-side transports whose client went silent
// mid-transfer, which must not share the router with the next test's measurements.
beforeEach(async () => {
  session = await startSession();
});

afterEach(async () => {
  for (const transport of session.transports) transport.close();
  await relay?.close();
  relay = undefined;
  await session.close();
});

interface Watched {
  errors: Error[];
  closes: number;
}

function watch(dataProducer: DataProducer): Watched {
  const watched: Watched = { errors: [], closes: 0 };
  dataProducer.on('error', (error) => watched.errors.push(error));
  dataProducer.on('close', () => watched.closes++);
  return watched;
}

/** Sends `count` numbered messages in batches of 10, 5 ms apart, as a bot would. */
async function sendPaced(producers: DataProducer[], count: number, size: number): Promise<void> {
  for (let seq = 0; seq < count; seq++) {
    for (const dataProducer of producers) dataProducer.send(numbered(seq, size));
    if (seq % 10 === 9) await sleep(5);
  }
}

test('10% loss with duplicates and reordering: an ordered reliable producer delivers every message once, in order; unordered partial-reliability producers keep working and deliver a subset', async () => {
  const setup = await createRelayedTransport(session, {
    relay: { seed: 20240611, toRouter: LOSSY, toClient: LOSSY },
  });
  relay = setup.relay;
  const { transport } = setup;
  const states: string[] = [];
  transport.on('connectionstatechange', (state) => states.push(state));

  // ICE, DTLS and SCTP handshakes happen on the lossy network too.
  const reliable = await openProducer(transport, { label: 'reliable' }, 30000);
  const noRetransmits = await openProducer(transport, { label: 'rtx0', maxRetransmits: 0 });
  const shortLife = await openProducer(transport, { label: 'life', maxPacketLifeTime: 50 });
  const watched = [reliable, noRetransmits, shortLife].map(watch);

  const count = 400;
  const size = 1000; // about one message per datagram, so that each one can be lost
  const start = Date.now();
  await sendPaced([reliable, noRetransmits, shortLife], count, size);

  const delivered = await session.router.waitForMessages(count, {
    dataProducerId: reliable.id,
    timeoutMs: 60000,
  });
  const reliableMs = Date.now() - start;
  // Stragglers of the unreliable producers: give them time to arrive or be abandoned.
  await waitUntil(
    () => reliable.bufferedAmount + noRetransmits.bufferedAmount + shortLife.bufferedAmount === 0,
    20000,
    'the send queues to drain',
  );
  await sleep(1500);

  // Reliable and ordered: all of them, once each, in order, intact.
  expect(delivered.map((m) => sequenceOf(m.data))).toEqual(
    Array.from({ length: count }, (_, i) => i),
  );
  expect(delivered.every((m) => m.data.length === size && m.ppid === 53)).toBe(true);

  // Partially reliable: a subset of what was sent, each at most once, intact.
  const subsets: Record<string, number> = {};
  for (const dataProducer of [noRetransmits, shortLife]) {
    const seqs = session.router.messagesOf(dataProducer.id).map((m) => sequenceOf(m.data));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.every((seq) => seq >= 0 && seq < count)).toBe(true);
    expect(seqs.length).toBeGreaterThan(count / 2);
    expect(seqs.length).toBeLessThanOrEqual(count);
    subsets[dataProducer.label] = seqs.length;
  }
  // With 10% loss and no retransmission, some messages must be missing.
  expect(subsets.rtx0).toBeLessThan(count);

  // The relay really was lossy, in both directions.
  const { toRouter, toClient } = setup.relay.counters;
  expect(toRouter.dropped).toBeGreaterThan(20);
  expect(toRouter.duplicated).toBeGreaterThan(5);
  expect(toRouter.reordered).toBeGreaterThan(20);
  expect(toClient.dropped).toBeGreaterThan(0);

  // Nothing failed, nothing closed: every producer still works.
  expect(watched).toEqual([
    { errors: [], closes: 0 },
    { errors: [], closes: 0 },
    { errors: [], closes: 0 },
  ]);
  expect(transport.connectionState).toBe('connected');
  expect(states).not.toContain('failed');
  for (const dataProducer of [reliable, noRetransmits, shortLife]) {
    expect(dataProducer.readyState).toBe('open');
    dataProducer.send('still-working');
  }
  // Still lossy: the reliable one surely delivers; the others are checked on a clean network.
  await session.router.waitForMessages(count + 1, { dataProducerId: reliable.id });
  setup.relay.setFaults('both', {});
  for (const dataProducer of [noRetransmits, shortLife]) dataProducer.send('clean-network');
  await waitUntil(
    () =>
      [noRetransmits, shortLife].every((dataProducer) =>
        session.router
          .messagesOf(dataProducer.id)
          .some((m) => m.data.toString() === 'clean-network'),
      ),
    10000,
    'delivery on the clean network',
  );
  console.info(
    `[lossy network] ${count} x ${size} B per producer; reliable delivered all in ${reliableMs} ms; ` +
      `maxRetransmits 0 delivered ${subsets.rtx0}, maxPacketLifeTime 50 delivered ${subsets.life}; ` +
      `relay ${JSON.stringify(setup.relay.counters)}`,
  );
});

test('a lossy network that turns clean again: a reliable producer opened under loss goes on delivering in order', async () => {
  const setup = await createRelayedTransport(session, {
    relay: { seed: 99, toRouter: { ...LOSSY, loss: 0.2 }, toClient: { ...LOSSY, loss: 0.2 } },
  });
  relay = setup.relay;
  const dataProducer = await openProducer(setup.transport, {}, 30000);
  const watched = watch(dataProducer);

  await sendPaced([dataProducer], 100, 500);
  setup.relay.setFaults('both', {});
  for (let seq = 100; seq < 200; seq++) dataProducer.send(numbered(seq, 500));

  const delivered = await session.router.waitForMessages(200, {
    dataProducerId: dataProducer.id,
    timeoutMs: 60000,
  });
  expect(delivered.map((m) => sequenceOf(m.data))).toEqual(
    Array.from({ length: 200 }, (_, i) => i),
  );
  expect(watched).toEqual({ errors: [], closes: 0 });
  expect(setup.relay.counters.toRouter.dropped).toBeGreaterThan(5);
});

// A network that stops delivering anything (a black hole), through the UdpRelay: first a
// short outage the transport survives, then one it does not.
import { InvalidStateError, OperationError, type DataProducer } from 'mediasoup-data-producer';

import { createRelayedTransport, numbered, raceTimeout, sequenceOf } from '@test-support/faults.js';
import {
  startSession,
  type Session,
  openProducer,
  sleep,
  waitUntil,
} from '@test-support/session.js';
import type { UdpRelay } from '@test-support/udpRelay.js';

jest.setTimeout(90000);

const KiB = 1024;

/**
 * Measured on the 2-core CI machine (see docs/failure-behaviour.md): with messages in flight,
 * libdatachannel's SCTP gives up after ~13 s ('disconnected', then 'failed'); with nothing to
 * send, libjuice's ICE consent freshness expires after ~30 s ('failed'). The bounds leave room
 * for a loaded machine.
 */
const BUSY_DETECTION_BOUND_MS = 25000;
const IDLE_DETECTION_BOUND_MS = 45000;

let session: Session;
const relays: UdpRelay[] = [];

// A fresh router per test: a blackholed test leaves router-side transports whose client went silent
// mid-transfer, which must not share the router with the next test's measurements.
beforeEach(async () => {
  session = await startSession();
});

afterEach(async () => {
  for (const transport of session.transports) transport.close();
  for (const relay of relays.splice(0)) await relay.close();
  await session.close();
});

async function relayed(
  options: Parameters<typeof createRelayedTransport>[1] = {},
): ReturnType<typeof createRelayedTransport> {
  const setup = await createRelayedTransport(session, options);
  relays.push(setup.relay);
  return setup;
}

interface Events {
  names: string[];
  errors: Error[];
}

function record(dataProducer: DataProducer): Events {
  const events: Events = { names: [], errors: [] };
  for (const name of ['open', 'close', 'transportclose', 'bufferedamountlow'] as const) {
    dataProducer.on(name, () => events.names.push(name));
  }
  dataProducer.on('error', (error) => {
    events.names.push('error');
    events.errors.push(error);
  });
  dataProducer.observer.on('close', () => events.names.push('observer:close'));
  return events;
}

test('a black hole shorter than the failure timeouts: bufferedAmount grows to maxBufferedAmount, send() throws OperationError, and once the network is back the backlog drains in order and bufferedamountlow fires', async () => {
  const { transport, relay } = await relayed();
  const maxBufferedAmount = 256 * KiB;
  const dataProducer = await openProducer(transport, { maxBufferedAmount });
  const events = record(dataProducer);
  const states: string[] = [];
  transport.on('connectionstatechange', (state) => states.push(state));
  const size = 1000;

  relay.blackhole(true);
  const outageStart = Date.now();
  // Send as an app does: until send() says no. SCTP's own buffer (about 1 MiB) fills first,
  // then bufferedAmount grows to maxBufferedAmount.
  let accepted = 0;
  let refusal: unknown;
  const samples: number[] = [];
  while (refusal === undefined && Date.now() - outageStart < 8000) {
    for (let i = 0; i < 50; i++) {
      try {
        dataProducer.send(numbered(accepted, size));
        accepted++;
      } catch (error) {
        refusal = error;
        break;
      }
    }
    samples.push(dataProducer.bufferedAmount);
    await sleep(2);
  }
  const filledMs = Date.now() - outageStart;

  expect(refusal).toBeInstanceOf(OperationError);
  expect(dataProducer.bufferedAmount).toBeLessThanOrEqual(maxBufferedAmount);
  expect(dataProducer.bufferedAmount).toBeGreaterThan(maxBufferedAmount - size);
  expect(Math.max(...samples)).toBe(dataProducer.bufferedAmount);
  // Still refused, of any size but zero; nothing accepted was dropped meanwhile.
  expect(() => {
    dataProducer.send(numbered(accepted, size));
  }).toThrow(OperationError);
  const held = dataProducer.bufferedAmount;
  await sleep(1500);
  expect(dataProducer.bufferedAmount).toBe(held);
  expect(dataProducer.readyState).toBe('open');
  expect(transport.connectionState).toBe('connected');
  expect(relay.counters.toRouter.blackholed).toBeGreaterThan(0);

  // The network comes back well before the transport would fail.
  const lowEvent = new Promise<number>((resolve) => {
    dataProducer.once('bufferedamountlow', () => {
      resolve(Date.now());
    });
  });
  relay.blackhole(false);
  const restoredAt = Date.now();
  const outageMs = restoredAt - outageStart;
  const lowAt = await raceTimeout(lowEvent, 20000, () => {
    throw new Error('no bufferedamountlow within 20 s of the network coming back');
  });

  expect(dataProducer.bufferedAmount).toBe(0);
  const delivered = await session.router.waitForMessages(accepted, {
    dataProducerId: dataProducer.id,
    timeoutMs: 30000,
  });
  expect(delivered.map((m) => sequenceOf(m.data))).toEqual(
    Array.from({ length: accepted }, (_, i) => i),
  );
  // It accepts messages again and delivers them after the backlog.
  dataProducer.send(numbered(accepted, size));
  await session.router.waitForMessages(accepted + 1, { dataProducerId: dataProducer.id });
  expect(events.errors).toEqual([]);
  expect(events.names).toEqual(['bufferedamountlow']);
  expect(states).toEqual([]);
  console.info(
    `[black hole, short] accepted ${accepted} x ${size} B (${(accepted * size) / KiB} KiB) before ` +
      `OperationError after ${filledMs} ms; outage ${outageMs} ms; backlog drained ` +
      `(bufferedamountlow) ${lowAt - restoredAt} ms after the network came back`,
  );
});

test('a black hole that lasts: a busy transport reaches disconnected then failed, an idle one failed, within the documented bounds; every producer emits close, send() throws InvalidStateError', async () => {
  const busy = await relayed();
  const idle = await relayed();
  const busyProducers = [
    await openProducer(busy.transport, { label: 'reliable' }),
    await openProducer(busy.transport, { label: 'unreliable', maxRetransmits: 0 }),
  ];
  const idleProducer = await openProducer(idle.transport, { label: 'idle' });
  const allProducers = [...busyProducers, idleProducer];
  const events = allProducers.map(record);
  const stateChanges: { which: string; state: string; atMs: number }[] = [];
  const start = Date.now();
  for (const [which, transport] of [
    ['busy', busy.transport],
    ['idle', idle.transport],
  ] as const) {
    transport.on('connectionstatechange', (state) => {
      stateChanges.push({ which, state, atMs: Date.now() - start });
    });
  }

  busy.relay.blackhole(true);
  idle.relay.blackhole(true);
  // The busy transport keeps sending until its producers close.
  const sendErrors: unknown[] = [];
  const pump = setInterval(() => {
    for (const dataProducer of busyProducers) {
      try {
        dataProducer.send(Buffer.alloc(1000));
      } catch (error) {
        if (!(error instanceof OperationError)) sendErrors.push(error);
      }
    }
  }, 20);
  try {
    await waitUntil(
      () => busyProducers.every((p) => p.closed),
      BUSY_DETECTION_BOUND_MS,
      'busy producers closed',
      50,
    );
    const busyClosedMs = Date.now() - start;
    await waitUntil(() => idleProducer.closed, IDLE_DETECTION_BOUND_MS, 'idle producer closed', 50);
    const idleClosedMs = Date.now() - start;

    const busyState = stateChanges.find((c) => c.which === 'busy');
    const idleState = stateChanges.find((c) => c.which === 'idle');
    expect(['disconnected', 'failed']).toContain(busyState?.state);
    expect(['disconnected', 'failed']).toContain(idleState?.state);
    expect(busyState?.atMs).toBeLessThan(BUSY_DETECTION_BOUND_MS);
    expect(idleState?.atMs).toBeLessThan(IDLE_DETECTION_BOUND_MS);
    // Both end 'failed': on the busy one, libdatachannel tears the peer connection down by
    // itself right after 'disconnected'. Even with the network back, nothing revives them and
    // produceData() refuses (rather than hand out a producer on a dead connection).
    await waitUntil(() => busy.transport.connectionState === 'failed', 2000, 'busy failed');
    expect(idle.transport.connectionState).toBe('failed');
    busy.relay.blackhole(false);
    idle.relay.blackhole(false);
    await expect(busy.transport.produceData()).rejects.toThrow(InvalidStateError);
    await expect(idle.transport.produceData()).rejects.toThrow(InvalidStateError);

    // Each producer told the app: `close` then observer `close`; no error for an open producer.
    for (const recorded of events) {
      const names = recorded.names.filter((name) => name !== 'bufferedamountlow');
      expect(names).toEqual(['close', 'observer:close']);
    }
    // send() now throws InvalidStateError, the only error besides OperationError seen so far.
    for (const dataProducer of allProducers) {
      expect(dataProducer.readyState).toBe('closed');
      expect(dataProducer.bufferedAmount).toBe(0);
      expect(() => {
        dataProducer.send('late');
      }).toThrow(InvalidStateError);
    }
    expect(sendErrors.every((error) => error instanceof InvalidStateError)).toBe(true);
    console.info(
      `[black hole, lasting] busy transport: ${busyState?.state} at ${busyState?.atMs} ms, ` +
        `producers closed at ${busyClosedMs} ms; idle transport: ${idleState?.state} at ` +
        `${idleState?.atMs} ms, producer closed at ${idleClosedMs} ms; all changes: ` +
        JSON.stringify(stateChanges),
    );
  } finally {
    clearInterval(pump);
  }
  busy.transport.close();
  idle.transport.close();
  expect(busy.transport.connectionState).toBe('closed');
});

// The lossy relay itself, with plain UDP sockets: the fault tests rely on it doing what it is
// told, and on close() leaving nothing behind.
import { createSocket, type Socket } from 'node:dgram';

import { sleep } from '@test-support/events.js';
import { seededRandom, UdpRelay, type DirectionFaults } from '@test-support/udpRelay.js';

interface Endpoint {
  socket: Socket;
  port: number;
  received: Buffer[];
}

async function endpoint(): Promise<Endpoint> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (message) => received.push(message));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received };
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) =>
    socket.close(() => {
      resolve();
    }),
  );
}

let router: Endpoint;
let client: Endpoint;
let relay: UdpRelay | undefined;

beforeEach(async () => {
  router = await endpoint();
  client = await endpoint();
  // The "router" echoes every datagram back to whoever sent it, as an ICE-lite peer answers.
  router.socket.on('message', (message, from) => {
    router.socket.send(message, from.port, from.address);
  });
});

afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await closeSocket(router.socket);
  await closeSocket(client.socket);
});

async function startRelay(faults: DirectionFaults = {}, seed = 7): Promise<UdpRelay> {
  relay = await UdpRelay.start({
    target: { address: '127.0.0.1', port: router.port },
    seed,
    toRouter: faults,
  });
  return relay;
}

/** Sends `count` numbered datagrams from the client through the relay, 1 ms apart. */
async function sendThrough(r: UdpRelay, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const message = Buffer.alloc(4);
    message.writeUInt32BE(i, 0);
    client.socket.send(message, r.port, '127.0.0.1');
    if (i % 20 === 19) await sleep(1);
  }
}

async function settle(r: UdpRelay, expected: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!expected() && Date.now() < deadline) await sleep(10);
  // Let anything still delayed arrive.
  while (r.inFlight > 0 && Date.now() < deadline) await sleep(10);
  await sleep(30);
}

const seqs = (messages: Buffer[]): number[] => messages.map((m) => m.readUInt32BE(0));

test('UdpRelay without faults forwards every datagram both ways, in order', async () => {
  const r = await startRelay();
  await sendThrough(r, 200);
  await settle(r, () => client.received.length === 200);

  expect(seqs(client.received)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  expect(r.counters.toRouter).toMatchObject({ received: 200, forwarded: 200, dropped: 0 });
  expect(r.counters.toClient).toMatchObject({ received: 200, forwarded: 200, dropped: 0 });
  expect(r.clients).toBe(1);
});

test('UdpRelay loss drops about that share of datagrams and counts them', async () => {
  const r = await startRelay({ loss: 0.3 });
  await sendThrough(r, 1000);
  await settle(
    r,
    () =>
      r.counters.toRouter.received === 1000 &&
      client.received.length === r.counters.toRouter.forwarded,
  );

  const { received, forwarded, dropped } = r.counters.toRouter;
  expect(received).toBe(1000);
  expect(forwarded + dropped).toBe(1000);
  expect(dropped).toBeGreaterThan(220);
  expect(dropped).toBeLessThan(380);
  expect(client.received.length).toBe(forwarded);
});

test('UdpRelay duplicate sends extra copies and reorder lets later datagrams overtake', async () => {
  const r = await startRelay({ duplicate: 0.2, reorder: 0.2, reorderDelayMs: 20 });
  await sendThrough(r, 500);
  await settle(r, () => client.received.length >= 500 + r.counters.toRouter.duplicated);

  const { duplicated, reordered, forwarded } = r.counters.toRouter;
  expect(duplicated).toBeGreaterThan(50);
  expect(reordered).toBeGreaterThan(50);
  expect(forwarded).toBe(500 + duplicated);
  const got = seqs(client.received);
  expect(new Set(got).size).toBe(500);
  expect(got).not.toEqual([...got].sort((a, b) => a - b));
});

test('UdpRelay blackhole drops everything until it is lifted', async () => {
  const r = await startRelay();
  r.blackhole(true);
  await sendThrough(r, 50);
  await sleep(100);
  expect(client.received).toHaveLength(0);
  expect(r.counters.toRouter.blackholed).toBe(50);

  r.blackhole(false);
  await sendThrough(r, 10);
  await settle(r, () => client.received.length === 10);
  expect(client.received).toHaveLength(10);
});

test('UdpRelay with the same seed gives the same datagrams the same fate', async () => {
  const fates = async (seed: number): Promise<number[]> => {
    const r = await startRelay({ loss: 0.5 }, seed);
    await sendThrough(r, 200);
    await settle(
      r,
      () =>
        r.counters.toRouter.received === 200 &&
        client.received.length === r.counters.toRouter.forwarded,
    );
    const got = seqs(client.received);
    await r.close();
    client.received.length = 0;
    return got;
  };
  const first = await fates(42);
  const second = await fates(42);
  const other = await fates(43);
  expect(second).toEqual(first);
  expect(other).not.toEqual(first);
  expect(seededRandom(1)()).toBe(seededRandom(1)());
});

test('UdpRelay.close() clears the timers of delayed datagrams and closes every socket', async () => {
  const r = await startRelay({ delayMs: 5000 });
  await sendThrough(r, 20);
  await sleep(50);
  expect(r.inFlight).toBe(20);

  await r.close();

  expect(r.inFlight).toBe(0);
  await r.close(); // idempotent
  // jest --detectOpenHandles reports a timer or socket left behind.
});

// A LocalRouter over several mediasoup workers: transports spread over them, and a
// DataProducer on one worker reaches consumers on another (piped between their routers).
import type { DataChannel } from 'node-datachannel';

import { LocalRouter } from '../../src/index.js';
import { waitUntil } from '@test-support/events.js';
import { openRawPeer, type RawPeer } from '@test-support/rawPeer.js';

jest.setTimeout(60000);

let router: LocalRouter;
const peers: RawPeer[] = [];
const channels: DataChannel[] = [];

beforeAll(async () => {
  router = await LocalRouter.start({ workers: 2 });
  // Streams of their own channels out of the way of the DataConsumers' (numbered from 0).
  for (const label of ['first', 'second']) {
    peers.push(await openRawPeer(router, label, { streamId: 1000 }));
  }
});

afterAll(async () => {
  for (const channel of channels) channel.close();
  for (const peer of peers) peer.close();
  await router.close();
});

function peer(index: number): RawPeer {
  const found = peers[index];
  if (!found) throw new Error(`no peer ${index}`);
  return found;
}

/** What arrives on `receiver`'s channel for the consumer `router.consumeData()` made. */
async function consume(receiver: RawPeer, dataProducerId: string): Promise<unknown[]> {
  const params = await router.consumeData(receiver.transportId, { dataProducerId });
  const channel = receiver.pc.createDataChannel('in', {
    negotiated: true,
    id: params.sctpStreamParameters.streamId,
  });
  channels.push(channel);
  // node-datachannel releases a channel's hold on the event loop only through its close
  // callback: a channel without one kept jest alive after every test had passed.
  channel.onClosed(() => undefined);
  const received: unknown[] = [];
  channel.onMessage((message) => received.push(message));
  // The router forwards nothing before the client's channel exists.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return received;
}

test('LocalRouter.start({ workers: 2 }) starts two worker processes and puts two transports on different ones', () => {
  const pids = router.workerPids;

  expect(pids).toHaveLength(2);
  expect(new Set(pids).size).toBe(2);
  expect(router.workerPid).toBe(pids[0]);
  expect(
    new Set([
      router.transportWorkerPid(peer(0).transportId),
      router.transportWorkerPid(peer(1).transportId),
    ]),
  ).toEqual(new Set(pids));
});

test("LocalRouter.consumeData() of a client's DataProducer on another worker pipes it there and its messages arrive", async () => {
  const received = await consume(peer(1), peer(0).dataProducerId);

  peer(0).dc.sendMessage('across workers');

  await waitUntil(() => received.length === 1, 10000, 'the piped message');
  expect(received).toEqual(['across workers']);
  // The router records it too, as from one worker.
  expect(router.messagesOf(peer(0).dataProducerId).map((m) => m.data.toString())).toContain(
    'across workers',
  );
});

test("LocalRouter.consumeData() of a direct DataProducer on the second worker's transport receives what it sends", async () => {
  const receiver = [peer(0), peer(1)].find(
    (candidate) => router.transportWorkerPid(candidate.transportId) !== router.workerPid,
  );
  if (!receiver) throw new Error('no transport on the second worker');
  const direct = await router.createDirectDataProducer();
  const received = await consume(receiver, direct.id);

  direct.send('from the app');

  await waitUntil(() => received.length === 1, 10000, 'the direct message');
  expect(received).toEqual(['from the app']);
});

test('LocalRouter.start() with workers 0 or 1.5 rejects with TypeError before starting any worker', async () => {
  await expect(LocalRouter.start({ workers: 0 })).rejects.toThrow(
    new TypeError('workers must be an integer from 1 to 64, got 0'),
  );
  await expect(LocalRouter.start({ workers: 1.5 })).rejects.toThrow(TypeError);
});

test('LocalRouter.close() ends every worker process', async () => {
  const other = await LocalRouter.start({ workers: 3 });
  const pids = other.workerPids;

  await other.close();

  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toEqual([]);
});

// The router's SCTP send buffer toward a client bounds what its DataConsumers may queue:
// mediasoup drops what does not fit (sctpsendbufferfull). createWebRtcTransport() sets it, so
// that a test or benchmark can send bursts the default (262144 bytes in 3.8.4) would drop.
import type { DataChannel } from 'node-datachannel';

import { LocalRouter } from '../../src/index.js';
import { waitUntil } from '@test-support/events.js';
import { openRawPeer, type RawPeer } from '@test-support/rawPeer.js';

jest.setTimeout(60000);

let router: LocalRouter;
const peers: RawPeer[] = [];
const channels: DataChannel[] = [];

beforeAll(async () => {
  router = await LocalRouter.start();
});

afterAll(async () => {
  for (const channel of channels) channel.close();
  for (const peer of peers) peer.close();
  await router.close();
});

/** An unpaced burst from the app's DirectTransport to a client whose transport has this buffer. */
async function burst(
  sctpSendBufferSize: number,
  count: number,
  size: number,
): Promise<{ received: () => number; dropped: () => number }> {
  // The peer's own channel is on stream 1000, out of the way of the router's DataConsumer.
  const peer = await openRawPeer(router, 'buffer', {
    streamId: 1000,
    transportOptions: { sctpSendBufferSize },
  });
  peers.push(peer);
  const direct = await router.createDirectDataProducer();
  const params = await router.consumeData(peer.transportId, { dataProducerId: direct.id });
  let dropped = 0;
  router.dataConsumer(params.id).on('sctpsendbufferfull', () => dropped++);
  const channel = peer.pc.createDataChannel(params.label, {
    negotiated: true,
    id: params.sctpStreamParameters.streamId,
  });
  channels.push(channel);
  channel.onClosed(() => undefined);
  let received = 0;
  channel.onMessage(() => received++);
  // The router sends nothing before the channel exists on the client; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < count; i++) direct.send(Buffer.alloc(size, i % 256));
  return { received: () => received, dropped: () => dropped };
}

// 400 KiB: more than 3.8.4's default buffer (262,144 bytes, which dropped half of it), in 4
// messages of about 94 DATA chunks each, below usrsctp's 512 chunks on queue, past which it
// refuses whatever the buffer size (a 2 MiB burst of 128 KiB messages lost some at 4 MiB).
test('LocalRouter.createWebRtcTransport() with sctpSendBufferSize 4 MiB delivers an unpaced 400 KiB burst whole', async () => {
  const { received, dropped } = await burst(4 * 1024 * 1024, 4, 100 * 1024);

  await waitUntil(() => received() + dropped() >= 4, 20000, 'every message arrived or dropped');
  expect({ received: received(), dropped: dropped() }).toEqual({ received: 4, dropped: 0 });
});

test('LocalRouter.createWebRtcTransport() with sctpSendBufferSize 16384 drops what does not fit', async () => {
  // 100 times the buffer: 40 messages were sometimes all taken on 3.27.1, whose worker can read
  // the client's acknowledgements between them; of 400, it dropped 40 to 382 (measured).
  const { received, dropped } = await burst(16384, 400, 4096);

  await waitUntil(() => received() + dropped() >= 400, 20000, 'every message arrived or dropped');
  expect(dropped()).toBeGreaterThan(0);
  expect(received()).toBe(400 - dropped());
});

test('LocalRouter.createWebRtcTransport() with sctpSendBufferSize not a positive integer throws TypeError', async () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
    await expect(router.createWebRtcTransport({ sctpSendBufferSize: bad })).rejects.toThrow(
      new TypeError(
        `sctpSendBufferSize must be an integer from 1 to 2147483647 (bytes), got ${String(bad)}`,
      ),
    );
  }
});

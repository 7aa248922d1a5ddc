import { LocalRouter } from '../../src/local-router/index.js';
import { openRawPeer, type RawPeer } from '../support/rawPeer.js';

let router: LocalRouter;
let peer: RawPeer | undefined;

beforeEach(async () => {
  router = await LocalRouter.start();
});

afterEach(async () => {
  peer?.close();
  peer = undefined;
  await router.close();
});

test('local router receives a string and a binary message from a raw node-datachannel peer with PPIDs 51 and 53', async () => {
  peer = await openRawPeer(router);
  peer.dc.sendMessage('hello router');
  peer.dc.sendMessageBinary(Buffer.from([1, 2, 3, 250]));

  const [text, binary] = await router.waitForMessages(2, { dataProducerId: peer.dataProducerId });

  expect(text?.ppid).toBe(51);
  expect(text?.data.toString('utf8')).toBe('hello router');
  expect(binary?.ppid).toBe(53);
  expect([...(binary?.data ?? [])]).toEqual([1, 2, 3, 250]);
  expect(binary?.receivedAt).toBeGreaterThanOrEqual(text?.receivedAt ?? Infinity);
});

test('local router createWebRtcTransport() gives ICE-lite UDP candidates on 127.0.0.1 and SCTP parameters', async () => {
  const params = await router.createWebRtcTransport();

  expect(params.iceParameters.iceLite).toBe(true);
  expect(params.iceCandidates.length).toBeGreaterThan(0);
  expect(params.iceCandidates.every((c) => c.ip === '127.0.0.1' && c.protocol === 'udp')).toBe(
    true,
  );
  expect(params.sctpParameters?.port).toBe(5000);
  expect(params.dtlsParameters.fingerprints.some((f) => f.algorithm === 'sha-256')).toBe(true);
});

// A raw node-datachannel peer reaching the local mediasoup router through a real coturn.
//
// node-datachannel's iceTransportPolicy 'relay' only filters the candidates it signals; its
// ICE agent (libjuice) still checks pairs from its host socket (libdatachannel#1587,
// libjuice#345). The router is ICE-lite and needs none of our candidates, so on loopback a
// 'relay' peer connects directly. To prove the TURN path, the peer binds to ::1 and the
// coturn listens on ::1 but relays from 127.0.0.1: an IPv6-only socket cannot reach the
// IPv4 router, so the relay is the only way in.
import { networkInterfaces } from 'node:os';

import { LocalRouter } from 'mediasoup-local-router';
import { openRawPeer, type RawPeer } from '@test-support/rawPeer.js';
import { startTurnServer, type TurnServer } from '@test-support/turnServer.js';

const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) =>
  addresses?.some((a) => a.family === 'IPv6' && a.address === '::1'),
);
const ipv6Test = hasIpv6Loopback ? test : test.skip;
if (!hasIpv6Loopback) {
  console.warn('turn.raw.test.ts: no ::1 on this machine; the TURN-only tests are skipped');
}

let router: LocalRouter;
let turn: TurnServer | undefined;
let peer: RawPeer | undefined;
beforeEach(async () => {
  router = await LocalRouter.start();
});

afterEach(async () => {
  peer?.close();
  peer = undefined;
  await router.close();
  await turn?.stop();
  turn = undefined;
});

function signalledCandidates(rawPeer: RawPeer): string[] {
  const sdp = rawPeer.pc.localDescription()?.sdp ?? '';
  return sdp.split(/\r?\n/).filter((line) => line.startsWith('a=candidate:'));
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

ipv6Test(
  'a relay-only peer with no direct path reaches the router through coturn over a relay candidate pair',
  async () => {
    turn = await startTurnServer({ listenIp: '::1' });
    const started = performance.now();
    const server = turn;
    peer = await openRawPeer(router, 'turn-only', {
      iceServers: [server.iceServer],
      iceTransportPolicy: 'relay',
      bindAddress: '::1',
      openTimeoutMs: 10000,
    }).catch((error: unknown) => {
      // Seen once in CI (3.27.1, ICE stuck in checking): keep coturn's side of it.
      throw new Error(`${String(error)}\ncoturn's last log lines:\n${lastLines(server.log(), 40)}`);
    });
    const connectMs = performance.now() - started;

    peer.dc.sendMessage('through turn');
    const [message] = await router.waitForMessages(1, { dataProducerId: peer.dataProducerId });

    expect(message?.data.toString('utf8')).toBe('through turn');
    const pair = peer.pc.getSelectedCandidatePair();
    expect(pair?.local.type).toBe('relay');
    // coturn's relay address (--relay-ip), talking to the router's host candidate.
    expect(pair?.local.address).toBe('127.0.0.1');
    expect(pair?.remote.type).toBe('host');
    expect(turn.allocations()).toBeGreaterThanOrEqual(1);
    expect(turn.peers()).toContain('127.0.0.1');
    expect(connectMs).toBeLessThan(5000);
  },
);

ipv6Test(
  'with no direct path and no ICE servers, a relay-only peer does not open within 3 s',
  async () => {
    await expect(
      openRawPeer(router, 'no-path', {
        iceServers: [],
        iceTransportPolicy: 'relay',
        bindAddress: '::1',
        openTimeoutMs: 3000,
      }),
    ).rejects.toThrow(/did not open in 3000 ms/);
  },
);

test("libdatachannel's turn:user:password@host:port?transport=udp URL form allocates on coturn, and 'relay' signals only relay candidates", async () => {
  turn = await startTurnServer();
  const tr = turn;
  expect(tr.urlWithCredentials).toMatch(/^turn:[^:@]+:[^@]+@127\.0\.0\.1:\d+\?transport=udp$/);
  peer = await openRawPeer(router, 'turn-url', {
    iceServers: [tr.urlWithCredentials],
    iceTransportPolicy: 'relay',
    openTimeoutMs: 10000,
  });

  peer.dc.sendMessage('hello');
  const [message] = await router.waitForMessages(1, { dataProducerId: peer.dataProducerId });
  expect(message?.data.toString('utf8')).toBe('hello');
  // The channel can open before the allocation completes; it completes regardless.
  expect(await waitFor(() => tr.allocations() >= 1, 5000)).toBe(true);
  expect(await waitFor(() => signalledCandidates(peer as RawPeer).length > 0, 5000)).toBe(true);
  expect(signalledCandidates(peer).every((line) => / typ relay( |$)/.test(line))).toBe(true);
});

test("known limitation: 'relay' with no ICE servers still opens over a direct path to the ICE-lite router", async () => {
  // libjuice checks its host socket's pairs whatever the policy, and mediasoup (ICE-lite)
  // answers checks from any address. If this starts failing, node-datachannel enforces
  // 'relay' at last: make the test expect a timeout instead.
  peer = await openRawPeer(router, 'relay-no-servers', {
    iceServers: [],
    iceTransportPolicy: 'relay',
    openTimeoutMs: 5000,
  });
  peer.dc.sendMessage('direct');
  const [message] = await router.waitForMessages(1, { dataProducerId: peer.dataProducerId });

  expect(message?.data.toString('utf8')).toBe('direct');
  expect(signalledCandidates(peer)).toEqual([]);
  expect(peer.pc.getSelectedCandidatePair()?.local.type).not.toBe('relay');
});

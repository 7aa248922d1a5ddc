// TURN through the public API, against a private coturn (test/support/turnServer.ts).
//
// libjuice, node-datachannel's ICE agent, checks pairs from its host socket whatever the
// iceTransportPolicy (libdatachannel#1587, libjuice#345), and the ICE-lite router answers
// checks from any address: on one machine a 'relay' transport therefore connects directly.
// To see the relay path, the client is given a UDP gate in front of the router that lets in
// only coturn's relayed addresses (which coturn logs as it allocates them); the client's own
// host socket is dropped.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

import { type DataProducer, type Transport, type types } from 'mediasoup-data-producer';

import { once, openProducer, startSession, type Session } from '@test-support/session.js';
import { startTurnServer, type TurnServer } from '@test-support/turnServer.js';

let session: Session;
let turn: TurnServer;
let gate: RelayOnlyGate | undefined;

beforeAll(async () => {
  session = await startSession();
});

afterAll(async () => {
  await session.close();
});

beforeEach(async () => {
  turn = await startTurnServer();
});

afterEach(async () => {
  for (const transport of session.transports.splice(0)) transport.close();
  await gate?.close();
  gate = undefined;
  await turn.stop();
});

/** The relayed addresses (`ip:port`) coturn has allocated so far, from its log. */
function relayedAddresses(server: TurnServer): Set<string> {
  return new Set([...server.log().matchAll(/Local relay addr: (\S+)/g)].map((m) => m[1] ?? ''));
}

/**
 * A UDP front for the router's candidate that forwards only datagrams from the sources
 * `allow` accepts, and the router's answers back to them.
 */
class RelayOnlyGate {
  dropped = 0;
  forwarded = 0;
  private readonly upstreams = new Map<string, Socket>();

  private constructor(
    private readonly front: Socket,
    private readonly target: { address: string; port: number },
    private readonly allow: (source: string) => boolean,
  ) {
    front.on('message', (datagram, from) => {
      this.fromClient(datagram, from);
    });
  }

  static async open(
    target: { address: string; port: number },
    allow: (source: string) => boolean,
  ): Promise<RelayOnlyGate> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
    return new RelayOnlyGate(front, target, allow);
  }

  get port(): number {
    return this.front.address().port;
  }

  async close(): Promise<void> {
    const sockets = [this.front, ...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) =>
            s.close(() => {
              resolve();
            }),
          ),
      ),
    );
  }

  private fromClient(datagram: Buffer, from: RemoteInfo): void {
    const source = `${from.address}:${from.port}`;
    let upstream = this.upstreams.get(source);
    if (!upstream) {
      // A relayed check can beat coturn's log line here: it is retransmitted.
      if (!this.allow(source)) {
        this.dropped++;
        return;
      }
      const socket = createSocket('udp4');
      socket.on('message', (answer) => {
        this.front.send(answer, from.port, from.address);
      });
      socket.bind(0, '127.0.0.1');
      this.upstreams.set(source, socket);
      upstream = socket;
    }
    this.forwarded++;
    upstream.send(datagram, this.target.port, this.target.address);
  }
}

function turnServer(): types.IceServer {
  return { urls: turn.url, username: turn.username, credential: turn.password };
}

/** A transport to the router whose only way in is the gate, signaling to the local router. */
async function createGatedTransport(client: Partial<types.TransportOptions>): Promise<Transport> {
  const { router, device } = session;
  const params = await router.createWebRtcTransport();
  const [candidate] = params.iceCandidates;
  if (!candidate) throw new Error('the router gave no ICE candidate');
  const server = turn;
  gate = await RelayOnlyGate.open({ address: candidate.ip, port: candidate.port }, (source) =>
    relayedAddresses(server).has(source),
  );
  const transport = device.createSendTransport({
    ...params,
    iceCandidates: [{ ...candidate, port: gate.port }],
    ...client,
  });
  session.transports.push(transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    router.produceData(transport.id, parameters).then(callback, errback);
  });
  return transport;
}

async function localCandidateType(transport: Transport): Promise<unknown> {
  const report = await transport.getStats();
  const pair = [...report.values()].find((stat) => stat.type === 'candidate-pair');
  return report.get(String(pair?.localCandidateId))?.candidateType;
}

async function sendAndReceive(dataProducer: DataProducer, text: string): Promise<string> {
  dataProducer.send(text);
  const [message] = await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
  return message?.data.toString() ?? '';
}

test("transport.produceData() with a TURN server and iceTransportPolicy 'relay' delivers a message, and getStats() gives a 'relay' local candidate", async () => {
  expect(turn.url).toMatch(/^turn:127\.0\.0\.1:\d+\?transport=udp$/);
  const transport = await createGatedTransport({
    iceServers: [turnServer()],
    iceTransportPolicy: 'relay',
  });

  const dataProducer = await openProducer(transport, { label: 'turn' }, 10000);

  expect(await sendAndReceive(dataProducer, 'through turn')).toBe('through turn');
  expect(await localCandidateType(transport)).toBe('relay');
  expect(turn.allocations()).toBeGreaterThanOrEqual(1);
  expect(turn.peers()).toContain('127.0.0.1');
  expect(gate?.dropped).toBeGreaterThan(0);
});

test('transport.updateIceServers() with a TURN server before the first produceData() makes the transport use it', async () => {
  const transport = await createGatedTransport({ iceTransportPolicy: 'relay' });

  await transport.updateIceServers({ iceServers: [turnServer()] });
  const dataProducer = await openProducer(transport, { label: 'turn' }, 10000);

  expect(await sendAndReceive(dataProducer, 'updated servers')).toBe('updated servers');
  expect(await localCandidateType(transport)).toBe('relay');
  expect(turn.allocations()).toBeGreaterThanOrEqual(1);
});

test('transport.updateIceServers() with bad iceServers rejects with TypeError and keeps the TURN server it had', async () => {
  const transport = await createGatedTransport({
    iceServers: [turnServer()],
    iceTransportPolicy: 'relay',
  });

  await expect(transport.updateIceServers({ iceServers: [{ urls: 'ftp://x' }] })).rejects.toThrow(
    TypeError,
  );
  const dataProducer = await openProducer(transport, { label: 'turn' }, 10000);

  expect(await sendAndReceive(dataProducer, 'kept')).toBe('kept');
  expect(await localCandidateType(transport)).toBe('relay');
});

test('transport.produceData() without ICE servers behind the relay-only gate never opens (2 s)', async () => {
  const transport = await createGatedTransport({ iceTransportPolicy: 'relay' });

  const dataProducer = await transport.produceData();

  await expect(once(dataProducer, 'open', 2000)).rejects.toThrow(/no 'open' event within 2000 ms/);
  expect(gate?.forwarded).toBe(0);
});

test("transport.produceData() with iceTransportPolicy 'relay' and a direct path to the router connects directly, not over TURN (known limitation)", async () => {
  // If this starts failing, libjuice enforces 'relay' at last: expect 'relay' here instead.
  const { router } = session;
  const params = await router.createWebRtcTransport();
  const transport = session.device.createSendTransport({
    ...params,
    iceServers: [turnServer()],
    iceTransportPolicy: 'relay',
  });
  session.transports.push(transport);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
  transport.on('producedata', (parameters, callback, errback) => {
    router.produceData(transport.id, parameters).then(callback, errback);
  });

  const dataProducer = await openProducer(transport, { label: 'turn' }, 10000);

  expect(await sendAndReceive(dataProducer, 'direct')).toBe('direct');
  expect(await localCandidateType(transport)).not.toBe('relay');
});

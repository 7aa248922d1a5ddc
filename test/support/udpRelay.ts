// A lossy UDP relay for the fault tests: kernel netem is not available on the CI machines.
//
//   client (node-datachannel) ──▶ relay front socket (127.0.0.1:<port>) ──▶ upstream socket ──▶ router
//                             ◀──                                      ◀──                  ◀──
//
// The client is given the relay's port as the router's ICE candidate. For every client
// address (ip:port) the relay opens one upstream socket toward the router's real candidate,
// so the router sees one peer per client address, as it would without the relay. Each
// direction can drop, duplicate, delay (with jitter), reorder or black-hole datagrams, with
// a seeded PRNG so that a run can be repeated. Every pending timer is cleared by close().
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface DirectionFaults {
  /** Probability (0–1) that a datagram is dropped. */
  loss?: number;
  /** Probability (0–1) that a datagram is sent twice. */
  duplicate?: number;
  /** Probability (0–1) that a datagram is held back by `reorderDelayMs` so later ones overtake it. */
  reorder?: number;
  /** How long a reordered datagram is held back. Default 15 ms. */
  reorderDelayMs?: number;
  /** Fixed delay for every datagram. Default 0. */
  delayMs?: number;
  /** Uniform random extra delay, 0–jitterMs. Default 0 (jitter also reorders). */
  jitterMs?: number;
  /** Drop everything. */
  blackhole?: boolean;
}

export type Direction = 'toRouter' | 'toClient';

export interface DirectionCounters {
  /** Datagrams that reached the relay. */
  received: number;
  /** Datagrams sent on (duplicates included). */
  forwarded: number;
  /** Datagrams dropped by `loss`. */
  dropped: number;
  /** Datagrams dropped by `blackhole`. */
  blackholed: number;
  /** Extra copies sent by `duplicate`. */
  duplicated: number;
  /** Datagrams held back by `reorder`. */
  reordered: number;
  /** Bytes sent on. */
  bytes: number;
}

export interface UdpRelayOptions {
  /** The router's real candidate. */
  target: { address: string; port: number };
  /** PRNG seed. Default 1. */
  seed?: number;
  toRouter?: DirectionFaults;
  toClient?: DirectionFaults;
}

/** mulberry32: small, fast and good enough to decide the fate of datagrams. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyCounters(): DirectionCounters {
  return {
    received: 0,
    forwarded: 0,
    dropped: 0,
    blackholed: 0,
    duplicated: 0,
    reordered: 0,
    bytes: 0,
  };
}

function bindSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

interface Upstream {
  socket: Socket;
  client: RemoteInfo;
}

export class UdpRelay {
  readonly counters: Record<Direction, DirectionCounters> = {
    toRouter: emptyCounters(),
    toClient: emptyCounters(),
  };
  private readonly faults: Record<Direction, DirectionFaults>;
  /** One PRNG per direction: a datagram's fate does not depend on the other direction's traffic. */
  private readonly random: Record<Direction, () => number>;
  private readonly upstreams = new Map<string, Promise<Upstream>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(
    private readonly front: Socket,
    private readonly target: { address: string; port: number },
    options: UdpRelayOptions,
  ) {
    const seed = options.seed ?? 1;
    this.random = { toRouter: seededRandom(seed), toClient: seededRandom(seed ^ 0x5bd1e995) };
    this.faults = { toRouter: { ...options.toRouter }, toClient: { ...options.toClient } };
    front.on('message', (message, client) => {
      this.fromClient(message, client);
    });
    // A send error (e.g. the router's port is gone) must not crash the test process.
    front.on('error', () => undefined);
  }

  static async start(options: UdpRelayOptions): Promise<UdpRelay> {
    return new UdpRelay(await bindSocket(), options.target, options);
  }

  /** The port the client must be given as the router's candidate. */
  get port(): number {
    return this.front.address().port;
  }

  get address(): string {
    return '127.0.0.1';
  }

  /** How many client addresses the relay has seen. */
  get clients(): number {
    return this.upstreams.size;
  }

  /** How many datagrams wait in a timer (delay, jitter, reorder). */
  get inFlight(): number {
    return this.timers.size;
  }

  /** Replaces the faults of one direction, or of both. Takes effect for the next datagram. */
  setFaults(direction: Direction | 'both', faults: DirectionFaults): void {
    if (direction === 'both' || direction === 'toRouter') this.faults.toRouter = { ...faults };
    if (direction === 'both' || direction === 'toClient') this.faults.toClient = { ...faults };
  }

  /** Black-holes both directions (`true`) or restores what was configured (`false`). */
  blackhole(on: boolean): void {
    this.faults.toRouter.blackhole = on;
    this.faults.toClient.blackhole = on;
  }

  /** `candidate` with its address and port replaced by the relay's. */
  candidateFor<C extends { port: number }>(candidate: C): C {
    const relayed: C & { ip?: unknown; address?: unknown } = { ...candidate, port: this.port };
    if ('ip' in relayed) relayed.ip = this.address;
    if ('address' in relayed) relayed.address = this.address;
    if (!('ip' in relayed) && !('address' in relayed)) relayed.ip = this.address;
    return relayed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const upstreams = await Promise.allSettled(this.upstreams.values());
    this.upstreams.clear();
    const sockets = [this.front];
    for (const result of upstreams)
      if (result.status === 'fulfilled') sockets.push(result.value.socket);
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            try {
              socket.close(() => {
                resolve();
              });
            } catch {
              resolve(); // already closed
            }
          }),
      ),
    );
  }

  private fromClient(message: Buffer, client: RemoteInfo): void {
    if (this.closed) return;
    const key = `${client.address}:${client.port}`;
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      upstream = bindSocket().then((socket) => {
        socket.on('error', () => undefined);
        socket.on('message', (reply) => {
          this.relay('toClient', reply, (data) => {
            this.front.send(data, client.port, client.address);
          });
        });
        if (this.closed) socket.close();
        return { socket, client };
      });
      this.upstreams.set(key, upstream);
    }
    void upstream.then(({ socket }) => {
      this.relay('toRouter', message, (data) => {
        socket.send(data, this.target.port, this.target.address);
      });
    });
  }

  private relay(direction: Direction, message: Buffer, send: (data: Buffer) => void): void {
    if (this.closed) return;
    const faults = this.faults[direction];
    const counters = this.counters[direction];
    counters.received++;
    if (faults.blackhole) {
      counters.blackholed++;
      return;
    }
    // Every random number is drawn whatever the configuration, so that with a given seed
    // the n-th datagram of a direction always meets the same fate.
    const random = this.random[direction];
    const lose = random();
    const duplicate = random();
    const reorder = random();
    const jitter = random();
    if (lose < (faults.loss ?? 0)) {
      counters.dropped++;
      return;
    }
    const copies = duplicate < (faults.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) counters.duplicated++;
    let delay = (faults.delayMs ?? 0) + jitter * (faults.jitterMs ?? 0);
    if (reorder < (faults.reorder ?? 0)) {
      counters.reordered++;
      delay += faults.reorderDelayMs ?? 15;
    }
    const forward = (): void => {
      if (this.closed) return;
      for (let i = 0; i < copies; i++) {
        counters.forwarded++;
        counters.bytes += message.length;
        try {
          send(message);
        } catch {
          // The socket was closed meanwhile.
        }
      }
    };
    if (delay <= 0) {
      forward();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      forward();
    }, delay);
    this.timers.add(timer);
  }
}

/**
 * The router's ICE candidates rewritten to point at `relay`: what the client gets as
 * `iceCandidates` so that every datagram goes through the relay.
 */
export function relayedCandidates<C extends { port: number }>(
  relay: UdpRelay,
  candidates: C[],
): C[] {
  return candidates.map((candidate) => relay.candidateFor(candidate));
}

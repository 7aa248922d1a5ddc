// A private coturn `turnserver` for the TURN tests: UDP only on 127.0.0.1 with a free port,
// static long-term credentials, no TLS, no CLI, and a throwaway folder for its SQLite
// database and pid file (it opens a database even when every user is on the command line).
// It runs with -v so that it logs every request; the log tells a test how many allocations
// it made and which peers it relayed to. scripts/setup-coturn.sh installs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TurnServer {
  /** The RTCIceServer URL (W3C form); credentials go in `username` and `password`. */
  url: string;
  /** The same server as one libdatachannel URL string: `turn:user:password@host:port?transport=udp`. */
  urlWithCredentials: string;
  /** The same server as node-datachannel's IceServer object. */
  iceServer: {
    hostname: string;
    port: number;
    username: string;
    password: string;
    relayType: 'TurnUdp';
  };
  host: string;
  port: number;
  username: string;
  password: string;
  realm: string;
  pid: number;
  /** Successful TURN ALLOCATE requests so far (a relay candidate was handed out). */
  allocations(): number;
  /** The peers (`ip`, or `ip:port` for channel bindings) the server was allowed to relay to. */
  peers(): string[];
  /** Everything turnserver logged so far. */
  log(): string;
  /** Kills the process and resolves once it has exited and its pipes are closed. */
  stop(): Promise<void>;
}

export interface TurnServerOptions {
  /**
   * The address it listens on for clients: '127.0.0.1' (default) or '::1'. It always relays
   * from 127.0.0.1 (IPv4 allocations), where the local router listens.
   */
  listenIp?: '127.0.0.1' | '::1';
  username?: string;
  password?: string;
  realm?: string;
  /** Milliseconds to wait for the server to answer a STUN binding request. Default 10000. */
  readyTimeoutMs?: number;
}

const RELAY_IP = '127.0.0.1';

export async function startTurnServer(options: TurnServerOptions = {}): Promise<TurnServer> {
  const binary = findTurnserver();
  const host = options.listenIp ?? '127.0.0.1';
  let lastError: unknown;
  // The free port can be taken between our probe and turnserver's bind: try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(binary, host, await freeUdpPort(host), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function launch(
  binary: string,
  host: string,
  port: number,
  options: TurnServerOptions,
): Promise<TurnServer> {
  const username = options.username ?? 'mdp-test';
  const password = options.password ?? randomBytes(9).toString('base64url');
  const realm = options.realm ?? 'mediasoup-data-producer.test';
  const dir = mkdtempSync(path.join(tmpdir(), 'mdp-turn-'));
  // A relay range of its own, so that parallel test files rarely meet.
  const minPort = 40000 + Math.floor(Math.random() * 200) * 100;
  const args = [
    '-n', // no configuration file: only these flags
    '-v', // log every request: allocations() and peers() read it
    '--log-file=stdout',
    '--simple-log',
    `--listening-ip=${host}`,
    `--listening-port=${port}`,
    `--relay-ip=${RELAY_IP}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 99}`,
    // mediasoup listens on 127.0.0.1, which coturn refuses to relay to by default.
    '--allow-loopback-peers',
    '--lt-cred-mech',
    `--user=${username}:${password}`,
    `--realm=${realm}`,
    '--fingerprint',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-tcp',
    '--no-tcp-relay',
    `--userdb=${path.join(dir, 'turndb')}`,
    `--pidfile=${path.join(dir, 'turnserver.pid')}`,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<void>((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );
  let output = '';
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await closed;
      clearTimeout(killer);
    } else if (child.pid !== undefined) {
      await closed;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(child, host, port, options.readyTimeoutMs ?? 10000, () => spawnError);
  } catch (error) {
    await stop();
    const tail = output.trim().split('\n').slice(-5).join('\n  ');
    throw new Error(
      `turnserver on ${hostPort(host, port)} did not start: ${(error as Error).message}` +
        (tail ? `\n  ${tail}` : ''),
    );
  }

  const credentials = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`;
  return {
    url: `turn:${hostPort(host, port)}?transport=udp`,
    urlWithCredentials: `turn:${credentials}@${hostPort(host, port)}?transport=udp`,
    iceServer: { hostname: host, port, username, password, relayType: 'TurnUdp' },
    host,
    port,
    username,
    password,
    realm,
    pid: child.pid ?? -1,
    allocations: () => count(output, /incoming packet ALLOCATE processed, success/g),
    peers: () => [
      ...new Set([...output.matchAll(/: peer (\S+) lifetime updated/g)].map((m) => m[1] ?? '')),
    ],
    log: () => output,
    stop,
  };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

function findTurnserver(): string {
  const fromEnv = process.env['TURNSERVER_BIN'];
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  const candidates = fromEnv
    ? [fromEnv]
    : [...dirs, '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'].map((d) =>
        path.join(d, 'turnserver'),
      );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    fromEnv
      ? `TURNSERVER_BIN=${fromEnv} is not executable; run scripts/setup-coturn.sh`
      : 'coturn turnserver is not installed (not on PATH); run scripts/setup-coturn.sh',
  );
}

function udpType(host: string): 'udp4' | 'udp6' {
  return host.includes(':') ? 'udp6' : 'udp4';
}

async function freeUdpPort(host: string): Promise<number> {
  const socket = dgram.createSocket(udpType(host));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, resolve);
    });
    return socket.address().port;
  } finally {
    await new Promise<void>((resolve) =>
      socket.close(() => {
        resolve();
      }),
    );
  }
}

/** Sends STUN binding requests until one is answered, the process exits or time runs out. */
async function waitUntilReady(
  child: ChildProcess,
  host: string,
  port: number,
  timeoutMs: number,
  spawnError: () => Error | undefined,
): Promise<void> {
  const socket = dgram.createSocket(udpType(host));
  const transactionId = randomBytes(12);
  const request = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), // Binding, length 0, cookie
    transactionId,
  ]);
  const probe = { answered: false };
  socket.on('message', (message) => {
    // A Binding success response (0x0101) to our transaction.
    if (message.length >= 20 && message.readUInt16BE(0) === 0x0101) {
      probe.answered ||= message.subarray(8, 20).equals(transactionId);
    }
  });
  socket.on('error', () => {
    // ICMP port unreachable before turnserver binds: keep probing.
  });
  try {
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    const deadline = Date.now() + timeoutMs;
    while (!probe.answered) {
      const error = spawnError();
      if (error) throw error;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`it exited with ${child.exitCode ?? child.signalCode ?? '?'}`);
      }
      if (Date.now() > deadline) throw new Error(`no STUN answer in ${timeoutMs} ms`);
      socket.send(request, port, host);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await new Promise<void>((resolve) =>
      socket.close(() => {
        resolve();
      }),
    );
  }
}

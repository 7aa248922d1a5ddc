// Helpers shared by the fault tests (test/faults): a transport whose datagrams go through a
// lossy UdpRelay, numbered messages, typed-error checks and child-process fixtures.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { Transport, types } from 'mediasoup-data-producer';

import type { LocalTransportOptions } from 'mediasoup-local-router';
import { LIBRARY_DIR } from './paths.js';
import { signalThroughLocalRouter, type Session } from './session.js';
import { relayedCandidates, UdpRelay, type UdpRelayOptions } from './udpRelay.js';

export interface RelayedTransport {
  transport: Transport;
  relay: UdpRelay;
}

export interface RelayedSetup {
  router?: LocalTransportOptions;
  client?: Partial<types.TransportOptions>;
  relay?: Omit<UdpRelayOptions, 'target'>;
}

/**
 * Like `createTransport()` of session.ts, but the client is given the address of a UdpRelay
 * in front of the router's candidate: every datagram in both directions goes through it.
 * The caller closes the relay (after the transport).
 */
export async function createRelayedTransport(
  session: Session,
  setup: RelayedSetup = {},
): Promise<RelayedTransport> {
  const { router, device } = session;
  const params = await router.createWebRtcTransport(setup.router);
  const candidate = params.iceCandidates.find((c) => c.protocol === 'udp');
  if (!candidate) throw new Error('the router gave no UDP candidate');
  const relay = await UdpRelay.start({
    ...setup.relay,
    target: { address: candidate.ip, port: candidate.port },
  });
  const transport = device.createSendTransport({
    ...params,
    iceCandidates: relayedCandidates(relay, [candidate]),
    ...setup.client,
  });
  signalThroughLocalRouter(session, transport);
  return { transport, relay };
}

export { numbered, sequenceOf } from './messages.js';

/** The names of the errors a public call may throw or reject with. */
export const TYPED_ERRORS = [
  'TypeError',
  'RangeError',
  'InvalidStateError',
  'UnsupportedError',
  'OperationError',
] as const;

/** True when `error` is one of the documented, typed errors. */
export function isTypedError(error: unknown): boolean {
  return (
    error instanceof Error && (TYPED_ERRORS as readonly string[]).includes(error.constructor.name)
  );
}

/**
 * Resolves or rejects as `promise` does, or resolves with `onTimeout()` after `ms`; the timer
 * is cleared either way, so that nothing is left pending when the test ends.
 */
export function raceTimeout<T, U>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => U,
): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => {
      resolve(onTimeout());
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

export interface FixtureRun {
  /** Exit code, or null when killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Each stdout line that parses as JSON, in order, with when it arrived (Date.now()). */
  reports: { value: unknown; at: number }[];
  exitedAt: number;
  /** True when the child had to be killed after `timeoutMs`. */
  timedOut: boolean;
}

/**
 * Runs the library's `test/faults/fixtures/<name>` in a child `node` (with `nodeArgs`, e.g. --expose-gc)
 * against the BUILT library in its dist/ (or MDP_FIXTURE_DIST), and resolves once it exits by
 * itself. A child still running after `timeoutMs` is SIGKILLed and reported as timed out.
 */
export function runFixture(
  name: string,
  {
    nodeArgs = [],
    env = {},
    timeoutMs = 60000,
  }: {
    nodeArgs?: string[];
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
  } = {},
): Promise<FixtureRun> {
  if (!process.env.MDP_FIXTURE_DIST && !existsSync(join(LIBRARY_DIR, 'dist', 'cjs', 'index.js'))) {
    return Promise.reject(
      new Error('the fault fixtures run against the built package: run `npm run build` first'),
    );
  }
  warnIfDistIsStale();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...nodeArgs, join(LIBRARY_DIR, 'test', 'faults', 'fixtures', name)],
      { cwd: LIBRARY_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    const reports: FixtureRun['reports'] = [];
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          reports.push({ value: JSON.parse(line) as unknown, at: Date.now() });
        } catch {
          // Not a report line.
        }
      }
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, reports, exitedAt: Date.now(), timedOut });
    });
  });
}

/** The fixtures test ./dist: say so when src/ has changed since the last build. */
function warnIfDistIsStale(): void {
  if (process.env.MDP_FIXTURE_DIST) return;
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
        const path = join(dir, entry.name);
        return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
      }),
    );
  const built = statSync(join(LIBRARY_DIR, 'dist', 'cjs', 'index.js')).mtimeMs;
  if (newest(join(LIBRARY_DIR, 'src')) > built) {
    console.warn(
      'test/faults fixtures run against dist/, which is older than src/: `npm run build`',
    );
  }
}

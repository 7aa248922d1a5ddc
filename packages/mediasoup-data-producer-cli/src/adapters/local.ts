// The built-in adapter for the local router (a real mediasoup worker on 127.0.0.1, built by
// `npm run setup:router`). The router runs in a child process (`local-router --child`), so
// that its receiving side neither competes with the senders for this process's event loop
// nor counts in the client's CPU; the two talk with the websocket adapter's protocol.
// The report has received, lost, out-of-order and latency figures and the worker's CPU.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import { createWebSocketAdapter, type SignalingAdapter } from 'mediasoup-data-bots';

const START_TIMEOUT_MS = 20000;

/**
 * How to run this CLI again: the same node, its flags (e.g. tsx's loader) and the same
 * entry script.
 */
export function cliCommand(): string[] {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell which script is running the CLI');
  return [...process.execArgv, entry];
}

export async function createLocalAdapter(): Promise<SignalingAdapter> {
  return (await startLocalAdapter()).adapter;
}

export interface LocalAdapterOptions {
  /** mediasoup workers of the router (default 1). */
  workers?: number;
}

/**
 * The local adapter and which mediasoup the router runs (e.g. `mediasoup 3.8.4 (the default)
 * at <dir>`), as the child's first line says: the CLI prints it, since a test run is only
 * as good as knowing which router it ran against.
 */
export async function startLocalAdapter(
  options: LocalAdapterOptions = {},
): Promise<{ adapter: SignalingAdapter; router: string; url: string }> {
  // detached: its own process group, so that a Ctrl-C in the terminal reaches only the
  // CLI, which then closes everything in order; the child ends when its stdin does.
  const workers = ['--workers', String(options.workers ?? 1)];
  const child = spawn(process.execPath, [...cliCommand(), 'local-router', '--child', ...workers], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  let listening: { url: string; router: string };
  try {
    listening = await waitForListening(child, exited);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const ws = createWebSocketAdapter({ url: listening.url });
  const adapter: SignalingAdapter = {
    ...ws,
    async close() {
      await ws.close?.();
      child.stdin.end();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 10000);
      await exited;
      clearTimeout(timer);
    },
  };
  return { adapter, router: listening.router, url: listening.url };
}

function waitForListening(
  child: ChildProcessWithoutNullStreams,
  exited: Promise<number | null>,
): Promise<{ url: string; router: string }> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const onStdout = (chunk: string): void => {
      stdout += chunk;
      // routerHost's first line: `listening <url> (local router: <which>, worker pid <n>)`, or
      // `..., <n> workers, pids <p> <q> ...)`.
      const match =
        /listening (ws:\/\/\S+)(?: \(local router: (.*), (?:worker pid|(\d+) workers, pids) [\d ]+\))?\n/.exec(
          stdout,
        );
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout.off('data', onStdout);
      // Keep draining: the child must never block on a full pipe.
      child.stdout.resume();
      const workers = match[3] ? `, ${match[3]} workers` : '';
      resolve({ url: match[1], router: `${match[2] ?? 'mediasoup of unknown version'}${workers}` });
    };
    child.stdout.on('data', onStdout);
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 10000) stderr = stderr.slice(-10000);
    });
    const timer = setTimeout(() => {
      reject(new Error(`the local router did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the local router exited (code ${code}) before listening: ${stderr.trim() || stdout.trim()}`,
        ),
      );
    });
  });
}

/** `--signaling local`, and the shape a user's module may export too. */
export const createAdapter = createLocalAdapter;

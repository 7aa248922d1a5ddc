// The built-in adapter for the local router (a real mediasoup worker on 127.0.0.1, built by
// `npm run setup:router`). The router runs in a child process (`local-router --child`), so
// that its receiving side neither competes with the senders for this process's event loop
// nor counts in the client's CPU; the two talk with the websocket adapter's protocol.
// The report has received, lost, out-of-order and latency figures and the worker's CPU.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import type { SignalingAdapter } from '../adapter.js';
import { createWebSocketAdapter } from './websocket.js';

const START_TIMEOUT_MS = 20000;

/**
 * How to run this CLI again: the same node, its flags (e.g. tsx's loader) and the same
 * entry script.
 */
function cliCommand(): string[] {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell which script is running the CLI');
  return [...process.execArgv, entry];
}

export async function createLocalAdapter(): Promise<SignalingAdapter> {
  // detached: its own process group, so that a Ctrl-C in the terminal reaches only the
  // CLI, which then closes everything in order; the child ends when its stdin does.
  const child = spawn(process.execPath, [...cliCommand(), 'local-router', '--child'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  let url: string;
  try {
    url = await waitForUrl(child, exited);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const ws = createWebSocketAdapter({ url });
  return {
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
}

function waitForUrl(
  child: ChildProcessWithoutNullStreams,
  exited: Promise<number | null>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const onStdout = (chunk: string): void => {
      stdout += chunk;
      const match = /listening (ws:\/\/\S+)/.exec(stdout);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout.off('data', onStdout);
      // Keep draining: the child must never block on a full pipe.
      child.stdout.resume();
      resolve(match[1]);
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

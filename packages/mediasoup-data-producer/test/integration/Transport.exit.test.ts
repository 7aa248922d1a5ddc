import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'produce-and-exit.cjs');
const RECV_FIXTURE = path.join(ROOT, 'test', 'fixtures', 'consume-and-exit.cjs');
const EXIT_TIMEOUT_MS = 10000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** When the process exited, by the wall clock (Date.now()). */
  exitedAt: number;
}

let child: ReturnType<typeof spawn> | undefined;

afterEach(() => {
  // Only if the test failed to see it exit: kill the one process this file started.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

function runNode(script: string, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    started.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    started.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      started.kill('SIGKILL');
    }, EXIT_TIMEOUT_MS);
    started.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    started.once('exit', (code, signal) => {
      const exitedAt = Date.now();
      clearTimeout(timer);
      started.once('close', () => {
        resolve({ code, signal, stdout, stderr, timedOut, exitedAt });
      });
    });
  });
}

test('transport.close() and router.close() let a process that produced and sent on the built package exit on its own with code 0', async () => {
  expect(existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js'))).toBe(true); // run `npm run build`

  const run = await runNode(FIXTURE);

  expect(run.stderr).toBe('');
  expect(run.timedOut).toBe(false);
  expect(run.signal).toBeNull();
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('delivered: before exit');
  const closedAt = Number(/closed at (\d+)/.exec(run.stdout)?.[1]);
  // From the end of main() to the exit: what kept the event loop alive after close.
  expect(run.exitedAt - closedAt).toBeLessThan(3000);
});

test.each([
  ['transport.close() and router.close()', []],
  ['dataConsumer.close(), transport.close() and router.close()', ['close-consumer-first']],
])(
  '%s let a process that received on a DataConsumer of the built package exit on its own with code 0',
  async (_label, args) => {
    expect(existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js'))).toBe(true); // run `npm run build`

    const run = await runNode(RECV_FIXTURE, args);

    expect(run.stderr).toBe('');
    expect(run.timedOut).toBe(false);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('received: before exit');
    const closedAt = Number(/closed at (\d+)/.exec(run.stdout)?.[1]);
    expect(run.exitedAt - closedAt).toBeLessThan(3000);
  },
);

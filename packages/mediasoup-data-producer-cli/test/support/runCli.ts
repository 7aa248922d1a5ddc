// Runs the built CLI (dist/cjs/main.js) as a child process, as a user would.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CLI_DIR, REPO_ROOT } from '@test-support/paths.js';
import type { Report } from '../../src/report.js';

export const ROOT = REPO_ROOT;
export const CLI = join(CLI_DIR, 'dist', 'cjs', 'main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run "npm run build" before these tests (npm test does)`);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kills the child (SIGKILL) and fails after this long. Default 60000 ms. */
  timeoutMs?: number;
  /** Called with the child and the stdout so far, on every chunk. */
  onStdout?: (child: ChildProcess, stdoutSoFar: string) => void;
  /** Called with the child and the stderr so far, on every chunk. */
  onStderr?: (child: ChildProcess, stderrSoFar: string) => void;
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(child, stdout);
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    options.onStderr?.(child, stderr);
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `CLI did not exit within ${options.timeoutMs ?? 60000} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** The report.json a run wrote into `dir`. */
export function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}

/** The shards' pids, from the line the CLI prints once it has started them. */
export function shardPids(stdout: string): number[] | undefined {
  const match = /^shards: \d+ processes of [\d-]+ bots, pids ([\d ]+)$/m.exec(stdout);
  return match?.[1]?.trim().split(' ').map(Number);
}

/**
 * Options for runCli() that SIGKILL shard `index` `afterMs` after the CLI printed the shards'
 * pids; `killed()` tells which pid was killed (undefined if the line never came).
 */
export function killingShard(
  index: number,
  afterMs: number,
): { options: RunOptions; killed: () => number | undefined } {
  let killed: number | undefined;
  const options: RunOptions = {
    onStdout: (_child, stdout) => {
      const pid = shardPids(stdout)?.[index];
      if (killed !== undefined || pid === undefined) return;
      killed = pid;
      setTimeout(() => {
        process.kill(pid, 'SIGKILL');
      }, afterMs);
    },
  };
  return { options, killed: () => killed };
}

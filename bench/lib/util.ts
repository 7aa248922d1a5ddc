import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { errorMessage } from 'mediasoup-data-bots';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The CLI's, so that the benchmark and the command line word a thrown value the same way.
export { errorMessage };

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * Rejects with a TimeoutError after `ms` unless `promise` settles first. The timer never
 * keeps the process alive once the race is over.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new TimeoutError(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Nanoseconds on CLOCK_MONOTONIC: comparable between this process and the router host. */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function msSince(startNs: bigint): number {
  return Number(nowNs() - startNs) / 1e6;
}

let gcFn: (() => void) | undefined;

/**
 * A full GC, even without --expose-gc on the command line: the flag is set at run time and
 * `gc` taken from a fresh context. Returns false if that is not possible.
 */
export function collectGarbage(): boolean {
  if (!gcFn) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFn = exposed;
    else {
      try {
        setFlagsFromString('--expose-gc');
        gcFn = runInNewContext('gc') as () => void;
      } catch {
        return false;
      }
    }
  }
  gcFn();
  gcFn();
  return true;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Rejects as soon as `signal` aborts (with its reason), else settles like `promise`. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(errorMessage(error)));
      },
    );
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${errorMessage(reason)}`);
}

/**
 * Runs `open` with an AbortSignal that fires after `ms`: the opener closes whatever it
 * had made and rejects; a TimeoutError is what the caller sees.
 */
export async function openWithTimeout<T>(
  open: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new TimeoutError(`${what} timed out after ${ms} ms`));
  }, ms);
  try {
    return await abortable(open(controller.signal), controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

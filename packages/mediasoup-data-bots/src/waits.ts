// Waits on one DataProducer's or DataConsumer's events: until it opens (one wait for both),
// and until a producer's buffer drains. Each settles once, removes every listener it added,
// clears its timer, and ends early when the optional signal aborts (a run that stops).

import type { DataConsumer, DataProducer } from 'mediasoup-data-producer';

/** What waitOpen() needs of a DataProducer or a DataConsumer. */
interface Opening {
  readonly readyState: string;
  on(event: 'open', listener: () => void): unknown;
  off(event: 'open', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  readonly observer: {
    on(event: 'close', listener: () => void): unknown;
    off(event: 'close', listener: () => void): unknown;
  };
}

/**
 * Resolves once the DataProducer or DataConsumer is open (or the signal aborts); rejects on
 * its error, when it closes first (close, transport closed: its observer's `close`), or
 * after `ms`: `<DataProducer|DataConsumer> did not open within <ms> ms`.
 */
export function waitOpen(
  endpoint: DataProducer | DataConsumer,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  // Both emit these events with these arguments; their emitters are typed apart.
  const opening = endpoint as unknown as Opening;
  const name = 'bufferedAmountLowThreshold' in endpoint ? 'DataProducer' : 'DataConsumer';
  if (opening.readyState === 'open' || signal?.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      opening.off('open', onOpen);
      opening.off('error', onError);
      opening.observer.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onOpen = (): void => {
      finish();
    };
    const onError = (error: Error): void => {
      finish(error);
    };
    const onClose = (): void => {
      finish(new Error(`${name} closed before it opened`));
    };
    const onAbort = (): void => {
      finish();
    };
    const timer = setTimeout(
      () => {
        finish(new Error(`${name} did not open within ${Math.round(ms)} ms`));
      },
      Math.max(0, ms),
    );
    opening.on('open', onOpen);
    opening.on('error', onError);
    opening.observer.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for bufferedamountlow, or until bufferedAmount is at most `threshold` (a look every
 * 100 ms, since a missed event would otherwise stall the producer for good), or close, or
 * the signal.
 */
export function waitLow(
  dataProducer: DataProducer,
  threshold: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || dataProducer.closed || dataProducer.bufferedAmount <= threshold) {
      resolve();
      return;
    }
    const done = (): void => {
      clearInterval(poll);
      dataProducer.off('bufferedamountlow', done);
      dataProducer.off('close', done);
      dataProducer.off('transportclose', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const poll = setInterval(() => {
      if (dataProducer.closed || dataProducer.bufferedAmount <= threshold) done();
    }, 100);
    dataProducer.on('bufferedamountlow', done);
    dataProducer.on('close', done);
    dataProducer.on('transportclose', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

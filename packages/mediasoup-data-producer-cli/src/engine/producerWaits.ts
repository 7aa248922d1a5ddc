// Waits on one DataProducer's events: until it opens, and until its buffer drains. Each
// also ends when the run stops (the signal) and removes every listener it added.

import type { DataProducer } from 'mediasoup-data-producer';

/** Resolves once open (or the signal aborts); rejects on error, close, or after ms. */
export function waitOpen(
  dataProducer: DataProducer,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  if (dataProducer.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      dataProducer.off('open', onOpen);
      dataProducer.off('error', onError);
      dataProducer.off('close', onClose);
      dataProducer.off('transportclose', onClose);
      signal.removeEventListener('abort', onAbort);
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
      finish(new Error('DataProducer closed before it opened'));
    };
    const onAbort = (): void => {
      finish();
    };
    const timer = setTimeout(
      () => {
        finish(new Error(`DataProducer did not open within the connect timeout`));
      },
      Math.max(0, ms),
    );
    dataProducer.on('open', onOpen);
    dataProducer.on('error', onError);
    dataProducer.on('close', onClose);
    dataProducer.on('transportclose', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for bufferedamountlow (or close, or the signal); polls as a safety net, since a
 * missed event would otherwise stall the producer for good.
 */
export function waitLow(
  dataProducer: DataProducer,
  threshold: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || dataProducer.closed || dataProducer.bufferedAmount <= threshold) {
      resolve();
      return;
    }
    const done = (): void => {
      clearInterval(poll);
      dataProducer.off('bufferedamountlow', done);
      dataProducer.off('close', done);
      dataProducer.off('transportclose', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const poll = setInterval(() => {
      if (dataProducer.closed || dataProducer.bufferedAmount <= threshold) done();
    }, 100);
    dataProducer.on('bufferedamountlow', done);
    dataProducer.on('close', done);
    dataProducer.on('transportclose', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

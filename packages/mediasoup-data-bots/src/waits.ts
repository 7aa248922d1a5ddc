// Waits on one DataProducer's or DataConsumer's events: until it opens, and until its
// buffer drains. Each settles once, removes every listener it added, clears its timer, and
// ends early when the optional signal aborts (a run that stops).

import type { DataConsumer, DataProducer } from 'mediasoup-data-producer';

/** Resolves once open (or the signal aborts); rejects on error, close, or after ms. */
export function waitOpen(
  dataProducer: DataProducer,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (dataProducer.readyState === 'open' || signal?.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      dataProducer.off('open', onOpen);
      dataProducer.off('error', onError);
      dataProducer.off('close', onClose);
      dataProducer.off('transportclose', onClose);
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
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when the DataConsumer is open; rejects when it closes first or after `ms`. */
export function waitConsumerOpen(consumer: DataConsumer, ms: number): Promise<void> {
  if (consumer.readyState === 'open') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      consumer.off('open', onOpen);
      consumer.off('error', onError);
      consumer.observer.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onOpen = (): void => {
      done();
    };
    const onError = (error: Error): void => {
      done(error);
    };
    const onClose = (): void => {
      done(new Error('the DataConsumer closed before it opened'));
    };
    const timer = setTimeout(() => {
      done(new Error(`the DataConsumer did not open within ${Math.round(ms)} ms`));
    }, ms);
    consumer.on('open', onOpen);
    consumer.on('error', onError);
    consumer.observer.on('close', onClose);
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

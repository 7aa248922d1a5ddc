// Waits of the bot's steps: each settles once, removes its listeners and clears its timer.

import type { DataConsumer, DataProducer } from 'mediasoup-data-producer';

/** Resolves with the promise's value, or undefined after `ms` (then the promise is left alone). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
 * Resolves once the producer's bufferedAmount is below `highWaterMark`, or it closed: on
 * bufferedamountlow, or at a look every 100 ms in case the threshold was crossed meanwhile.
 */
export function waitBelow(producer: DataProducer, highWaterMark: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearInterval(poll);
      producer.off('bufferedamountlow', done);
      producer.off('close', done);
      producer.off('transportclose', done);
      resolve();
    };
    const poll = setInterval(() => {
      if (producer.closed || producer.bufferedAmount < highWaterMark) done();
    }, 100);
    producer.on('bufferedamountlow', done);
    producer.on('close', done);
    producer.on('transportclose', done);
  });
}

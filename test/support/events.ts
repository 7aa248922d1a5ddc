// Waiting on events and conditions, for tests with or without a router.
import type { DataProducer, Transport, types } from 'mediasoup-data-producer';

/** Resolves with the arguments of the next `event` of `emitter`, or rejects after `timeoutMs`. */
export function once<T extends unknown[] = unknown[]>(
  emitter: {
    once(event: string, listener: (...args: T) => void): unknown;
    off(event: string, listener: (...args: T) => void): unknown;
  },
  event: string,
  timeoutMs = 10000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: T): void => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every `everyMs` until it is true; rejects after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean,
  timeoutMs: number,
  what = 'condition',
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Opens a producer on `transport` (on a router or on FakeHandler) and waits for its `open`. */
export async function openProducer(
  transport: Transport,
  options: types.DataProducerOptions = {},
  timeoutMs = 20000,
): Promise<DataProducer> {
  const dataProducer = await transport.produceData(options);
  if (dataProducer.readyState !== 'open') await once(dataProducer, 'open', timeoutMs);
  return dataProducer;
}

/** Resolves once `transport.connectionState` is `state`, however many changes that takes. */
export async function waitForState(
  transport: Transport,
  state: types.ConnectionState,
  timeoutMs = 10000,
): Promise<void> {
  while (transport.connectionState !== state) {
    await once(transport, 'connectionstatechange', timeoutMs);
  }
}

// How a bot closes a DataProducer without losing the tail of what it sent. The bot's close
// goes through this one function, so that the library's lossless close (when it has one)
// is wired in one place.

import type { DataProducer } from 'mediasoup-data-producer';

import { waitLow } from './waits.js';

/**
 * Waits, at most `timeoutMs`, until the DataProducer has handed everything to the network
 * (bufferedAmount 0), then closes it. Resolves true when it drained in time.
 */
export async function closeWithoutLoss(
  dataProducer: DataProducer,
  timeoutMs: number,
): Promise<boolean> {
  const signal = AbortSignal.timeout(timeoutMs);
  // A function: the compiler would narrow the getters across the awaits.
  const pending = (): boolean => !dataProducer.closed && dataProducer.bufferedAmount > 0;
  // waitLow() also resolves on bufferedamountlow, which fires at the producer's threshold.
  while (pending() && !signal.aborted) await waitLow(dataProducer, 0, signal);
  const drained = dataProducer.bufferedAmount === 0;
  dataProducer.close();
  return drained;
}

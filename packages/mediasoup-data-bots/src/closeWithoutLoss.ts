// How a bot closes a DataProducer without losing the tail of what it sent: through the
// library's closeGracefully() (docs/api.md). The bot's close goes through this one function.

import type { DataProducer } from 'mediasoup-data-producer';

/**
 * How long closeGracefully() waits for the router's confirmation. mediasoup >= 3.20 never
 * confirms (the wait always lasts this long), so it is what a close costs there: enough
 * for what the router still has to receive once the buffer has drained.
 */
export const GRACEFUL_CLOSE_MS = 1500;

/**
 * Hands everything sent to SCTP, resets the stream behind the last message and closes the
 * DataProducer once the router confirms it has every message (mediasoup 3.8, usrsctp) or
 * after `timeoutMs` (default GRACEFUL_CLOSE_MS). Resolves true when the router confirmed.
 */
export function closeWithoutLoss(
  dataProducer: DataProducer,
  timeoutMs: number = GRACEFUL_CLOSE_MS,
): Promise<boolean> {
  return dataProducer.closeGracefully({ timeout: Math.max(1, Math.round(timeoutMs)) });
}

// Whether the router takes messages of the configured size, read from the sctpParameters
// it answers createWebRtcTransport with. The bot says it in its own terms; the CLI words
// it with the option that set the size.

/** The message size was above what the router accepts. */
export interface MessageSizeProblem {
  size: number;
  /** The router's limit in bytes per message. */
  limit: number;
}

export class MessageTooLargeError extends Error implements MessageSizeProblem {
  override name = 'MessageTooLargeError';

  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`messages of ${size} bytes are larger than the router accepts (at most ${limit} bytes)`);
  }
}

/**
 * The router's refusal of messages of `size` bytes on a transport with these sctpParameters
 * (either mediasoup shape), or undefined when it takes them. Malformed parameters are left
 * to createSendTransport(), which says what is wrong with them.
 */
export function checkMessageSize(
  size: number,
  sctpParameters: unknown,
): MessageTooLargeError | undefined {
  const limit = routerMessageLimit(sctpParameters);
  if (limit === undefined || size <= limit) return undefined;
  return new MessageTooLargeError(size, limit);
}

/** The largest message the router accepts: maxReceiveMessageSize (>= 3.20) or maxMessageSize. */
function routerMessageLimit(sctpParameters: unknown): number | undefined {
  if (typeof sctpParameters !== 'object' || sctpParameters === null) return undefined;
  const { maxReceiveMessageSize, maxMessageSize } = sctpParameters as Record<string, unknown>;
  const limit = maxReceiveMessageSize ?? maxMessageSize;
  return Number.isInteger(limit) && (limit as number) > 0 ? (limit as number) : undefined;
}

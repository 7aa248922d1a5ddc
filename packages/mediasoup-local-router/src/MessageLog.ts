/** A bound on the messages a LocalRouter keeps: past it, the oldest are dropped. */
export interface MessageRecording {
  /** At most this many messages. Default 10000. */
  maxMessages?: number;
  /** At most this many payload bytes in all. Default 64 MiB. */
  maxBytes?: number;
}

/** What `recordMessages` keeps by default: enough for a test, bounded for a long run. */
export const DEFAULT_MESSAGE_RECORDING: Readonly<Required<MessageRecording>> = Object.freeze({
  maxMessages: 10000,
  maxBytes: 64 * 1024 * 1024,
});

export interface ReceivedMessage {
  dataProducerId: string;
  /** 51 string, 53 binary, 56 empty string, 57 empty binary. */
  ppid: number;
  data: Buffer;
  /** performance.now() when the router handed it to us. */
  receivedAt: number;
}

/** What `waitFor()` waits for: messages of one DataProducer, or of all, for so long. */
export interface MessageWaitOptions {
  dataProducerId?: string;
  /** Default 20000. */
  timeoutMs?: number;
}

/**
 * The messages a LocalRouter received, kept within a bound (`recordMessages`), and the waits
 * for them. Pure bookkeeping: the router feeds it with `record()`.
 */
export class MessageLog {
  // Recorded messages are recorded[head..]: dropping the oldest only advances `head`, and the
  // array is compacted once that half of it is dropped, so each message costs O(1).
  private recorded: (ReceivedMessage | undefined)[] = [];
  private head = 0;
  private recordedBytes = 0;
  private dropped = 0;
  private readonly waiters = new Set<(message: ReceivedMessage) => void>();

  /** Undefined: nothing is kept (`recordMessages: false`). */
  constructor(private readonly bound: Required<MessageRecording> | undefined) {}

  /** The kept messages, oldest first; a new array on every read. */
  get messages(): ReceivedMessage[] {
    return this.recorded.slice(this.head) as ReceivedMessage[];
  }

  /** Messages dropped so far, oldest first, to stay within the bound. */
  get droppedMessages(): number {
    return this.dropped;
  }

  messagesOf(dataProducerId: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.dataProducerId === dataProducerId);
  }

  /** Keeps a message (dropping the oldest past the bound) and tells the waits about it. */
  record(message: ReceivedMessage): void {
    const bound = this.bound;
    if (!bound) return;
    this.recorded.push(message);
    this.recordedBytes += message.data.length;
    while (
      this.recorded.length - this.head > bound.maxMessages ||
      (this.recordedBytes > bound.maxBytes && this.recorded.length - this.head > 1)
    ) {
      const oldest = this.recorded[this.head];
      this.recorded[this.head] = undefined;
      this.head++;
      this.dropped++;
      this.recordedBytes -= oldest?.data.length ?? 0;
    }
    if (this.head > 1024 && this.head * 2 > this.recorded.length) {
      this.recorded.splice(0, this.head);
      this.head = 0;
    }
    for (const waiter of [...this.waiters]) waiter(message);
  }

  /** Resolves once `count` messages of that producer (or of all, without one) are kept, with them. */
  async waitFor(
    count: number,
    { dataProducerId, timeoutMs = 20000 }: MessageWaitOptions = {},
  ): Promise<ReceivedMessage[]> {
    const bound = this.bound;
    if (!bound) {
      throw new Error(
        'waitForMessages() needs a LocalRouter that records messages (it was started with recordMessages: false)',
      );
    }
    if (count > bound.maxMessages) {
      throw new Error(
        `waitForMessages(${count}) asks for more messages than this LocalRouter keeps ` +
          `(${describeBound(bound)}): start it with recordMessages: true to keep every message`,
      );
    }
    const matching = (): ReceivedMessage[] =>
      dataProducerId === undefined ? this.messages : this.messagesOf(dataProducerId);
    // The messages once `count` arrived, or why they are not all there any more.
    const settle = (): ReceivedMessage[] | Error => {
      const messages = matching();
      if (messages.length >= count) return messages;
      return new Error(
        `${count} messages arrived but only the last ${messages.length} are kept ` +
          `(${describeBound(bound)}): start the LocalRouter with recordMessages: true to keep every message`,
      );
    };
    // Counted as they arrive rather than by filtering the recorded messages each time.
    let arrived = matching().length;
    if (arrived >= count) {
      const result = settle();
      if (result instanceof Error) throw result;
      return result;
    }
    return new Promise((resolve, reject) => {
      const onMessage = (message: ReceivedMessage): void => {
        if (dataProducerId !== undefined && message.dataProducerId !== dataProducerId) return;
        if (++arrived < count) return;
        clearTimeout(timer);
        this.waiters.delete(onMessage);
        const result = settle();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(onMessage);
        reject(new Error(`only ${arrived} of ${count} messages arrived in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(onMessage);
    });
  }
}

/** The bound `recordMessages` stands for; undefined when nothing is recorded. Throws on bad input. */
export function recordingBound(
  recordMessages: boolean | MessageRecording | undefined,
): Required<MessageRecording> | undefined {
  if (recordMessages === false) return undefined;
  if (recordMessages === true) return { maxMessages: Infinity, maxBytes: Infinity };
  const bound = {
    maxMessages: recordMessages?.maxMessages ?? DEFAULT_MESSAGE_RECORDING.maxMessages,
    maxBytes: recordMessages?.maxBytes ?? DEFAULT_MESSAGE_RECORDING.maxBytes,
  };
  for (const key of ['maxMessages', 'maxBytes'] as const) {
    const value = bound[key];
    if (!(value === Infinity || (Number.isInteger(value) && value > 0))) {
      throw new TypeError(
        `recordMessages.${key} must be a positive integer or Infinity, got ${String(value)}`,
      );
    }
  }
  return bound;
}

function describeBound(bound: Required<MessageRecording>): string {
  const parts: string[] = [];
  if (bound.maxMessages !== Infinity) parts.push(`at most ${bound.maxMessages} messages`);
  if (bound.maxBytes !== Infinity) parts.push(`at most ${bound.maxBytes} bytes`);
  return parts.join(' and ');
}

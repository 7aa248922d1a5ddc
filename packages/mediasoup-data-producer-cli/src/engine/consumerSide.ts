// The consuming bots: a bot that consumes opens one recv transport, and on it one
// DataConsumer per producer it consumes (Bot.consume()). Every message goes to one
// ReceiverChecker of this process, keyed by DataConsumer (a producer consumed n times is
// checked n times), so loss, order and end-to-end latency (the send timestamp against this
// process's clock) are measured where a room's members receive.

import {
  errorMessage,
  ReceiverChecker,
  withTimeout,
  type BotConsumer,
  type ReceiverReport,
  type SignalingAdapter,
} from 'mediasoup-data-bots';

import type { TransportState } from './transportState.js';
import type { ConsumerSideResult } from './types.js';

/** The adapter cannot consume: --consumers and --room-size need its consumeData(). */
export class ConsumeNotSupportedError extends Error {
  constructor() {
    super('the signaling adapter has no consumeData(): it cannot consume');
    this.name = 'ConsumeNotSupportedError';
  }
}

interface ConsumerEntry {
  consumer: BotConsumer;
  producerId: string;
}

/** Messages a producer sent (undefined: not known, as for a shard that died). */
export type SentOf = (producerId: string) => number | undefined;

type RecvStatus = 'pending' | 'open' | 'failed';

export class ConsumerSide {
  readonly checker = new ReceiverChecker();
  private readonly status: RecvStatus[];
  private readonly entries: ConsumerEntry[] = [];

  constructor(
    adapter: SignalingAdapter,
    /** For each bot of this engine, the bots (the run's numbers) whose producers it consumes. */
    private readonly plan: number[][],
    private readonly size: number,
    private readonly onError: (message: string, bot: number) => void,
  ) {
    // With sessions, each bot's session consumes (checked when it does).
    if (!adapter.consumeData && !adapter.openSession && plan.some((list) => list.length > 0)) {
      throw new ConsumeNotSupportedError();
    }
    this.status = plan.map(() => 'pending');
  }

  get active(): boolean {
    return this.plan.some((list) => list.length > 0);
  }

  /**
   * Each consuming bot consumes the producers that opened, and waits for each to open: the
   * router forwards only to open consumers, so the producers must not send before. Failures
   * are reported per bot; never rejects.
   */
  async open(
    bots: TransportState[],
    producersOf: (bot: number) => readonly string[],
    timeoutMs: number,
  ): Promise<void> {
    await Promise.all(
      bots.map(async (state, index) => {
        const producers = (this.plan[index] ?? []).flatMap((other) => producersOf(other));
        const bot = state.bot;
        if (producers.length === 0 || !bot) return;
        const openBy = performance.now() + timeoutMs;
        try {
          await withTimeout(
            (async () => {
              for (const producerId of producers) {
                const consumer = await bot.consume(producerId, { openBy, size: this.size });
                this.entries.push({ consumer, producerId });
              }
            })(),
            timeoutMs,
            'consuming',
          );
          this.status[index] = 'open';
        } catch (error) {
          this.status[index] = 'failed';
          this.onError(`recv transport did not open: ${errorMessage(error)}`, state.index);
        }
      }),
    );
  }

  /**
   * Messages the consumers should get: what each consumed producer sent, per consumer (a
   * producer whose count is not known is not expected).
   */
  expected(sentOf: SentOf): number {
    let n = 0;
    for (const { producerId } of this.entries) n += sentOf(producerId) ?? 0;
    return n;
  }

  received(): number {
    let n = 0;
    for (const { consumer } of this.entries) n += this.checker.received(consumer.id);
    return n;
  }

  result(runId: string, sentOf: SentOf): ConsumerSideResult {
    const report: ReceiverReport = this.checker.report(runId) ?? {
      messages: 0,
      bytes: 0,
      outOfOrder: 0,
      malformed: 0,
      producers: {},
    };
    let expected = 0;
    let lost = 0;
    const notExpected = { dataConsumers: 0, messages: 0, bytes: 0 };
    for (const { consumer, producerId } of this.entries) {
      const sent = sentOf(producerId);
      if (sent === undefined) {
        notExpected.dataConsumers++;
        notExpected.messages += report.producers[consumer.id]?.messages ?? 0;
        notExpected.bytes += report.producers[consumer.id]?.bytes ?? 0;
        continue;
      }
      expected += sent;
      lost += Math.max(0, sent - (report.producers[consumer.id]?.messages ?? 0));
    }
    const wanted = this.plan.reduce((n, list) => n + (list.length > 0 ? 1 : 0), 0);
    return {
      recvTransports: {
        total: wanted,
        opened: this.status.filter((s) => s === 'open').length,
        failed: this.status.filter((s) => s === 'failed').length,
      },
      dataConsumers: this.entries.length,
      expected,
      lost,
      ...(notExpected.dataConsumers > 0 && { notExpected }),
      report,
    };
  }
}

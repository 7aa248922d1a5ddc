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

import type { ProducerState, TransportState } from './transportState.js';
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
  producer: ProducerState;
}

type RecvStatus = 'pending' | 'open' | 'failed';

export class ConsumerSide {
  readonly checker = new ReceiverChecker();
  private readonly status: RecvStatus[];
  private readonly entries: ConsumerEntry[] = [];

  constructor(
    adapter: SignalingAdapter,
    /** For each bot, the bots whose producers it consumes. */
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
  async open(bots: TransportState[], timeoutMs: number): Promise<void> {
    await Promise.all(
      bots.map(async (state, index) => {
        const producers = (this.plan[index] ?? []).flatMap(
          (other) => bots[other]?.producers.filter((p) => p.id !== undefined) ?? [],
        );
        const bot = state.bot;
        if (producers.length === 0 || !bot) return;
        const openBy = performance.now() + timeoutMs;
        try {
          await withTimeout(
            (async () => {
              for (const producer of producers) {
                const consumer = await bot.consume(producer.id as string, {
                  openBy,
                  size: this.size,
                });
                this.entries.push({ consumer, producer });
              }
            })(),
            timeoutMs,
            'consuming',
          );
          this.status[index] = 'open';
        } catch (error) {
          this.status[index] = 'failed';
          this.onError(`recv transport did not open: ${errorMessage(error)}`, index);
        }
      }),
    );
  }

  /** Messages the consumers should get: what each consumed producer sent, per consumer. */
  expected(): number {
    let n = 0;
    for (const { producer } of this.entries) n += producer.bot?.sent ?? 0;
    return n;
  }

  received(): number {
    let n = 0;
    for (const { consumer } of this.entries) n += this.checker.received(consumer.id);
    return n;
  }

  result(runId: string): ConsumerSideResult {
    const report: ReceiverReport = this.checker.report(runId) ?? {
      messages: 0,
      bytes: 0,
      outOfOrder: 0,
      malformed: 0,
      producers: {},
    };
    let expected = 0;
    let lost = 0;
    for (const { consumer, producer } of this.entries) {
      const sent = producer.bot?.sent ?? 0;
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
      report,
    };
  }
}

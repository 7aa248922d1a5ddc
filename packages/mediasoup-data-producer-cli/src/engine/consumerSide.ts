// The consuming bots: each bot that consumes gets one recv transport, and on it one
// DataConsumer per producer it consumes. Every message goes to one ReceiverChecker in this
// process, keyed by DataConsumer (a producer consumed n times is checked n times), so loss,
// order and end-to-end latency (the send timestamp against this process's clock) are
// measured where a room's members receive.

import type { DataConsumer, Device, Transport } from 'mediasoup-data-producer';

import type { ConsumeDataResult, SignalingAdapter } from '../adapter.js';
import { errorMessage } from '../errors.js';
import { signalThrough } from '../signalThrough.js';
import { ReceiverChecker, type ReceiverReport } from '../receiver.js';
import { withTimeout } from './async.js';
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
  id: string;
  producer: ProducerState;
  dataConsumer: DataConsumer | undefined;
}

interface RecvBot {
  index: number;
  id: string | undefined;
  transport: Transport | undefined;
  status: 'pending' | 'open' | 'failed' | 'closed';
  consumers: ConsumerEntry[];
  serverClosed: boolean;
}

export class ConsumerSide {
  readonly checker = new ReceiverChecker();
  private readonly bots: RecvBot[];
  private readonly closings: Promise<unknown>[] = [];

  constructor(
    private readonly adapter: SignalingAdapter,
    private readonly runId: string,
    /** For each bot, the bots whose producers it consumes. */
    private readonly plan: number[][],
    private readonly size: number,
    private readonly onError: (message: string, bot: number) => void,
  ) {
    if (!adapter.consumeData && plan.some((list) => list.length > 0)) {
      throw new ConsumeNotSupportedError();
    }
    this.bots = plan.map((_list, index) => ({
      index,
      id: undefined,
      transport: undefined,
      status: 'pending',
      consumers: [],
      serverClosed: false,
    }));
  }

  get active(): boolean {
    return this.plan.some((list) => list.length > 0);
  }

  /**
   * Opens every consuming bot's recv transport and its DataConsumers of the producers that
   * opened, and waits for each to open: the router forwards only to open consumers, so the
   * producers must not send before. Failures are reported per bot; never rejects.
   */
  async open(device: Device, senders: TransportState[], timeoutMs: number): Promise<void> {
    await Promise.all(
      this.bots.map(async (bot) => {
        const producers = (this.plan[bot.index] ?? []).flatMap(
          (other) => senders[other]?.producers.filter((p) => p.id !== undefined) ?? [],
        );
        if (producers.length === 0) return;
        try {
          await withTimeout(this.openBot(device, bot, producers), timeoutMs, 'consuming');
          bot.status = 'open';
        } catch (error) {
          bot.status = 'failed';
          this.onError(`recv transport did not open: ${errorMessage(error)}`, bot.index);
        }
      }),
    );
  }

  private async openBot(device: Device, bot: RecvBot, producers: ProducerState[]): Promise<void> {
    const { adapter } = this;
    const params = await adapter.createWebRtcTransport({
      sctpCapabilities: device.sctpCapabilities,
      direction: 'recv',
    });
    bot.id = params.id;
    const transport = device.createRecvTransport({ ...params, appData: { index: bot.index } });
    bot.transport = transport;
    signalThrough(transport, adapter);
    const opened: Promise<void>[] = [];
    for (const producer of producers) {
      const answer: ConsumeDataResult = await (
        adapter.consumeData as NonNullable<SignalingAdapter['consumeData']>
      )({ transportId: transport.id, dataProducerId: producer.id as string });
      const entry: ConsumerEntry = { id: answer.id, producer, dataConsumer: undefined };
      bot.consumers.push(entry);
      this.checker.register(answer.id, this.runId, { size: this.size });
      const dataConsumer = await transport.consumeData(answer);
      entry.dataConsumer = dataConsumer;
      dataConsumer.binaryType = 'nodebuffer';
      const id = answer.id;
      dataConsumer.on('message', (message) => {
        this.checker.record(id, message as Buffer);
      });
      opened.push(
        new Promise<void>((resolve, reject) => {
          if (dataConsumer.readyState === 'open') resolve();
          dataConsumer.once('open', () => {
            resolve();
          });
          dataConsumer.once('error', reject);
          dataConsumer.once('close', () => {
            reject(new Error('DataConsumer closed before it opened'));
          });
        }),
      );
    }
    await Promise.all(opened);
  }

  /** Messages the consumers should get: what each consumed producer sent, per consumer. */
  expected(): number {
    let n = 0;
    for (const bot of this.bots) for (const c of bot.consumers) n += c.producer.sent;
    return n;
  }

  received(): number {
    let n = 0;
    for (const bot of this.bots) for (const c of bot.consumers) n += this.checker.received(c.id);
    return n;
  }

  /** Closes the recv transports (and so the consumers) here and on the server. */
  close(): void {
    const { adapter } = this;
    for (const bot of this.bots) {
      if (bot.transport && !bot.transport.closed) bot.transport.close();
      if (bot.status === 'open') bot.status = 'closed';
      if (bot.id === undefined || bot.serverClosed) continue;
      bot.serverClosed = true;
      const transportId = bot.id;
      const closing = adapter.closeTransport
        ? (async () => adapter.closeTransport?.({ transportId }))()
        : Promise.all(
            bot.consumers.map(async (c) => adapter.closeDataConsumer?.({ dataConsumerId: c.id })),
          );
      this.closings.push(closing.catch(() => undefined));
    }
  }

  closingsSettled(): Promise<unknown> {
    return Promise.all(this.closings);
  }

  result(): ConsumerSideResult {
    const report: ReceiverReport = this.checker.report(this.runId) ?? {
      messages: 0,
      bytes: 0,
      outOfOrder: 0,
      malformed: 0,
      producers: {},
    };
    let expected = 0;
    let lost = 0;
    let consumers = 0;
    for (const bot of this.bots) {
      for (const c of bot.consumers) {
        consumers++;
        expected += c.producer.sent;
        lost += Math.max(0, c.producer.sent - (report.producers[c.id]?.messages ?? 0));
      }
    }
    const wanted = this.plan.reduce((n, list) => n + (list.length > 0 ? 1 : 0), 0);
    return {
      recvTransports: {
        total: wanted,
        opened: this.bots.filter((b) => b.status === 'open' || b.status === 'closed').length,
        failed: this.bots.filter((b) => b.status === 'failed').length,
      },
      dataConsumers: consumers,
      expected,
      lost,
      report,
    };
  }
}

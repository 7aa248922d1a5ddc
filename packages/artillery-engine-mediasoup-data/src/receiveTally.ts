// What a bot's DataConsumers receive, counted into Artillery's metrics: messages and bytes,
// end-to-end latency of the CLI's numbered messages, and their losses and reorderings per
// consumer. Counters go out about once a second, so a busy bot emits a few events, not one
// per message.

import { decodeMessage } from 'mediasoup-data-producer-cli';

import { COUNTERS, HISTOGRAMS, type MetricsEmitter } from './metrics.js';

/** One DataConsumer's count. */
export interface ConsumerCount {
  /** Messages received. */
  received: number;
  /** The sequence number expected next (numbered messages), once one arrived. */
  nextSeq: number | undefined;
}

/** Epoch milliseconds, as the CLI's message header carries them. */
function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export class ReceiveTally {
  /** performance.now() of the last message (or of the last wait that started). */
  lastMessageAt = 0;
  private received = 0;
  private bytes = 0;
  private outOfOrder = 0;
  private lost = 0;
  private lastFlush = 0;

  constructor(private readonly ee: MetricsEmitter) {}

  count(consumer: ConsumerCount, message: string | Buffer): void {
    const now = epochNow();
    consumer.received++;
    this.lastMessageAt = performance.now();
    this.received++;
    this.bytes += typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (typeof message !== 'string') {
      const decoded = decodeMessage(message);
      if (decoded) {
        this.ee.emit('histogram', HISTOGRAMS.latency, Math.max(0, now - decoded.sentAt));
        if (consumer.nextSeq !== undefined && decoded.seq < consumer.nextSeq) this.outOfOrder++;
        else {
          if (consumer.nextSeq !== undefined) this.lost += decoded.seq - consumer.nextSeq;
          consumer.nextSeq = decoded.seq + 1;
        }
      }
    }
    if (this.lastMessageAt - this.lastFlush >= 1000) this.flush();
  }

  /** Emits what was counted since the last flush. */
  flush(): void {
    this.lastFlush = performance.now();
    if (this.received > 0) {
      this.ee.emit('counter', COUNTERS.messagesReceived, this.received);
      this.ee.emit('counter', COUNTERS.bytesReceived, this.bytes);
      this.received = 0;
      this.bytes = 0;
    }
    if (this.outOfOrder > 0) {
      this.ee.emit('counter', COUNTERS.messagesOutOfOrder, this.outOfOrder);
      this.outOfOrder = 0;
    }
    if (this.lost > 0) {
      this.ee.emit('counter', COUNTERS.messagesLost, this.lost);
      this.lost = 0;
    }
  }
}

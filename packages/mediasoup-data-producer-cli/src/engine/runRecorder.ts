// What a run recorded besides its transports: the totals sent, the per-second timeline,
// the largest bufferedAmount seen, and the errors and warnings, each list bounded so that
// a run where every producer fails does not grow without end.

import { Logger } from 'mediasoup-data-bots';

import type { RunError, SecondSample } from './types.js';

const logger = new Logger('engine', 'mediasoup-data-producer-cli');

export const MAX_KEPT_ERRORS = 200;

export class RunRecorder {
  sentMessages = 0;
  sentBytes = 0;
  maxBufferedAmount = 0;
  /** Epoch ms of the first message sent. */
  sendStartedAt: number | undefined;
  readonly errors: RunError[] = [];
  errorCount = 0;
  private readonly seconds = new Map<number, SecondSample>();
  private currentSecond: SecondSample | undefined;
  private readonly warningCounts = new Map<string, number>();

  /**
   * @param runId names the run in the debug log.
   * @param startedAt performance.now() that error times are measured from.
   */
  constructor(
    private readonly runId: string,
    public startedAt: number = performance.now(),
  ) {}

  /** `messages` messages and `bytes` bytes sent at `sentAt` (epoch ms). */
  countSent(sentAt: number, messages: number, bytes: number): void {
    this.sentMessages += messages;
    this.sentBytes += bytes;
    this.sendStartedAt ??= sentAt;
    const second = Math.floor(sentAt / 1000);
    let bucket = this.currentSecond;
    // The current second is cached: this runs for every message.
    if (bucket?.second !== second) {
      bucket = this.bucket(second);
      this.currentSecond = bucket;
    }
    bucket.sentMessages += messages;
    bucket.sentBytes += bytes;
  }

  /** What was buffered and open at `at` (epoch ms): each second keeps its largest. */
  sample(at: number, bufferedAmount: number, openTransports: number): void {
    this.seeBuffered(bufferedAmount);
    const bucket = this.bucket(Math.floor(at / 1000));
    bucket.bufferedAmount = Math.max(bucket.bufferedAmount, bufferedAmount);
    bucket.openTransports = Math.max(bucket.openTransports, openTransports);
  }

  seeBuffered(bufferedAmount: number): void {
    if (bufferedAmount > this.maxBufferedAmount) this.maxBufferedAmount = bufferedAmount;
  }

  error(message: string, transport?: number, producer?: number): void {
    this.errorCount++;
    if (this.errors.length >= MAX_KEPT_ERRORS) return;
    this.errors.push({
      atMs: Math.round(performance.now() - this.startedAt),
      ...(transport !== undefined && { transport }),
      ...(producer !== undefined && { producer }),
      message,
    });
  }

  /** After the run has returned its result, the debug log is the only place left to tell. */
  warning(message: string): void {
    logger.warn('run %s: %s', this.runId, message);
    const count = this.warningCounts.get(message);
    if (count !== undefined) this.warningCounts.set(message, count + 1);
    else if (this.warningCounts.size < MAX_KEPT_ERRORS) this.warningCounts.set(message, 1);
  }

  /** Identical warnings once each, with how many times when more than once. */
  warnings(): string[] {
    return [...this.warningCounts].map(([message, count]) =>
      count === 1 ? message : `${message} (${count} times)`,
    );
  }

  timeline(): SecondSample[] {
    return [...this.seconds.values()].sort((a, b) => a.second - b.second);
  }

  private bucket(second: number): SecondSample {
    let bucket = this.seconds.get(second);
    if (!bucket) {
      bucket = { second, sentMessages: 0, sentBytes: 0, bufferedAmount: 0, openTransports: 0 };
      this.seconds.set(second, bucket);
    }
    return bucket;
  }
}

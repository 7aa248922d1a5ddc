// One throughput measurement: open a channel, send paced for a fixed time, wait until the
// router has everything, verify, close.
import { encodeMessage, epochNow } from 'mediasoup-data-bots';

import type { BenchChannel, BenchClient } from '../clients/types.js';
import type { RouterClient } from '../router/proxy.js';
import type { ProducerStats } from '../router/protocol.js';
import type { BenchConfig } from './config.js';
import { errorMessage, msSince, nowNs, openWithTimeout, sleep, withTimeout } from './util.js';

export interface Verification {
  /** Every message sent arrived. */
  count: boolean;
  /** Sequence numbers arrived 0, 1, 2, ... */
  order: boolean;
  /** Byte total and every message's length match, and every message is binary. */
  bytes: boolean;
}

export interface ThroughputResult {
  client: string;
  size: number;
  round: number;
  ok: boolean;
  error?: string;
  openMs?: number;
  sentMessages: number;
  sentBytes: number;
  receivedMessages: number;
  receivedBytes: number;
  /**
   * Where the rate is taken: 'worker' = when the mediasoup worker (the SCTP endpoint) had
   * every message (its DataProducer stats, polled every 10 ms); 'consumer' = last arrival at
   * the DirectTransport consumer, if the worker's count is not available.
   */
  rateAt: 'worker' | 'consumer';
  /** First send to the worker having everything (or to the end of the bounded wait). */
  elapsedMs: number;
  /** First send to last arrival at the DirectTransport consumer in Node. */
  consumerElapsedMs: number;
  consumerMegabytesPerSecond: number;
  /** Time spent sending (the configured duration, plus the last wait for bufferedamountlow). */
  sendMs: number;
  /** Last send to the end of `elapsedMs`. */
  drainMs: number;
  /** Bytes sent but not yet delivered by the router when sending stopped ... */
  backlogAtStopBytes: number;
  /**
   * ... of which not yet received by the worker (still in the client or on the wire); the
   * rest the worker had but had not yet delivered to Node. NaN if the worker cannot tell.
   */
  clientBacklogAtStopBytes: number;
  messagesPerSecond: number;
  /** 10^6 bytes per second of payload delivered. */
  megabytesPerSecond: number;
  clientCpuSeconds: number;
  workerCpuSeconds: number;
  verification: Verification;
  router?: ProducerStats;
  /** How the waits for the buffer to drain ended. */
  wakeups: { event: number; poll: number };
  /** bufferedamountlow events the client emitted in all. */
  lowEvents: number;
  /** Time the sender spent blocked waiting for the buffer to drain. */
  waitMs: number;
}

export class StallError extends Error {
  override name = 'StallError';
}

export function emptyResult(client: string, size: number, round: number): ThroughputResult {
  return {
    client,
    size,
    round,
    ok: false,
    sentMessages: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedBytes: 0,
    rateAt: 'consumer',
    elapsedMs: 0,
    consumerElapsedMs: 0,
    consumerMegabytesPerSecond: 0,
    sendMs: 0,
    drainMs: 0,
    backlogAtStopBytes: 0,
    clientBacklogAtStopBytes: 0,
    messagesPerSecond: 0,
    megabytesPerSecond: 0,
    clientCpuSeconds: 0,
    workerCpuSeconds: 0,
    verification: { count: false, order: false, bytes: false },
    wakeups: { event: 0, poll: 0 },
    lowEvents: 0,
    waitMs: 0,
  };
}

/**
 * The pacing every client gets: send while bufferedAmount < high; then wait until the
 * client emits bufferedamountlow (threshold = low) or, as a safety net, a poll every
 * `pollMs` sees bufferedAmount <= low. No drain for `stallMs` is a stall.
 */
class Pacer {
  private waker: ((how: 'event' | 'poll') => void) | undefined;
  private failure: string | undefined;
  private onFail: ((reason: string) => void) | undefined;
  readonly wakeups = { event: 0, poll: 0 };
  lowEvents = 0;
  waitMs = 0;

  constructor(
    private readonly channel: BenchChannel,
    private readonly config: BenchConfig,
  ) {
    channel.setBufferedAmountLowThreshold(config.lowWater);
    channel.onBufferedAmountLow(() => {
      this.lowEvents++;
      this.waker?.('event');
    });
    channel.onFailure((reason) => {
      this.failure = reason;
      this.onFail?.(reason);
    });
  }

  check(): void {
    if (this.failure !== undefined) throw new Error(`channel failed: ${this.failure}`);
  }

  waitLow(): Promise<void> {
    this.check();
    const { channel, config } = this;
    if (channel.bufferedAmount() <= config.lowWater) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let lowest = channel.bufferedAmount();
      const started = performance.now();
      let lastProgress = started;
      const done = (error?: Error): void => {
        clearInterval(timer);
        this.waitMs += performance.now() - started;
        this.waker = undefined;
        this.onFail = undefined;
        if (error) reject(error);
        else resolve();
      };
      this.waker = (how) => {
        this.wakeups[how]++;
        done();
      };
      this.onFail = (reason) => {
        done(new Error(`channel failed: ${reason}`));
      };
      const timer = setInterval(() => {
        const amount = channel.bufferedAmount();
        if (amount <= config.lowWater) {
          this.waker?.('poll');
          return;
        }
        const now = performance.now();
        if (amount < lowest) {
          lowest = amount;
          lastProgress = now;
        } else if (now - lastProgress > config.stallMs) {
          done(
            new StallError(
              `stalled: bufferedAmount stuck at ${amount} B (> ${config.lowWater}) for ${config.stallMs} ms`,
            ),
          );
        }
      }, config.pollMs);
    });
  }
}

interface AtWorker {
  /** When the worker was seen to have them all; undefined if it did not get there. */
  atNs?: bigint;
  received: { messages: number; bytes: number };
  problem?: string;
}

/**
 * Polls the worker's own count until it has `count` messages (same bounds as `drain`).
 * Null if the worker's count cannot be read.
 */
async function waitAtWorker(
  router: RouterClient,
  id: string,
  count: number,
  config: Pick<BenchConfig, 'drainTimeoutMs' | 'drainStallMs'>,
): Promise<AtWorker | null> {
  const giveUp = drainWatch(config);
  for (;;) {
    const received = await router.workerReceived(id);
    const at = nowNs();
    if (!received) return null;
    if (received.messages >= count) return { atNs: at, received };
    const problem = giveUp(received.messages);
    if (problem !== undefined) return { received, problem };
    await sleep(10);
  }
}

/**
 * Waits until the router has `count` messages of the producer: as long as messages keep
 * arriving (no progress for drainStallMs is a failure), at most drainTimeoutMs in all.
 */
async function drain(
  router: RouterClient,
  id: string,
  count: number,
  config: Pick<BenchConfig, 'drainTimeoutMs' | 'drainStallMs'>,
): Promise<{ stats: ProducerStats; problem?: string }> {
  const giveUp = drainWatch(config);
  for (;;) {
    const stats = await router.waitFor(id, count, Math.min(1000, config.drainTimeoutMs));
    if (stats.count >= count) return { stats };
    const problem = giveUp(stats.count);
    if (problem !== undefined) return { stats, problem };
  }
}

/**
 * Told the arrival count after each poll, says why to stop waiting: no progress for
 * drainStallMs, or drainTimeoutMs in all; undefined while it is worth waiting.
 */
export function drainWatch(
  config: Pick<BenchConfig, 'drainTimeoutMs' | 'drainStallMs'>,
): (arrived: number) => string | undefined {
  const start = performance.now();
  let best = -1;
  let lastProgress = start;
  return (arrived) => {
    const now = performance.now();
    if (arrived > best) {
      best = arrived;
      lastProgress = now;
    }
    if (now - lastProgress >= config.drainStallMs) {
      return `nothing arrived for ${config.drainStallMs} ms after sending stopped`;
    }
    if (now - start >= config.drainTimeoutMs) {
      return `still arriving after the ${config.drainTimeoutMs} ms drain limit`;
    }
    return undefined;
  };
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Closes a client's endpoint (a sending channel or a receiver) within the close timeout,
 * runs `beforeTransport`, then closes its transport on the router; says what failed.
 */
export async function closeEndpoint(
  endpoint: { close(): Promise<void> | void; readonly transportId: string },
  router: RouterClient,
  config: BenchConfig,
  what: string,
  beforeTransport?: () => Promise<unknown>,
): Promise<string | undefined> {
  const problems: string[] = [];
  try {
    await withTimeout(Promise.resolve(endpoint.close()), config.closeTimeoutMs, `closing ${what}`);
  } catch (error) {
    problems.push(errorMessage(error));
  }
  await beforeTransport?.();
  try {
    await router.closeTransport(endpoint.transportId);
  } catch (error) {
    problems.push(errorMessage(error));
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export async function measureThroughput(
  client: BenchClient,
  router: RouterClient,
  config: BenchConfig,
  size: number,
  round: number,
  seconds: number,
): Promise<ThroughputResult> {
  const result = emptyResult(client.name, size, round);
  let channel: BenchChannel | undefined;
  try {
    const openStart = nowNs();
    const label = `bench-${client.name}-${size}-${round}`;
    channel = await openWithTimeout(
      (signal) => client.open(router, label, signal),
      config.openTimeoutMs,
      `${client.name} open`,
    );
    result.openMs = msSince(openStart);
    const ch = channel;
    const pacer = new Pacer(ch, config);
    await router.track([ch.dataProducerId], size);

    const workerCpu0 = await router.workerCpuSeconds();
    const cpu0 = process.cpuUsage();
    const t0 = nowNs();
    // The router host times arrivals in epoch ms (shared by the processes of the machine).
    const t0Epoch = epochNow();
    const deadline = t0 + BigInt(Math.round(seconds * 1e9));
    let seq = 0;
    let sendError: unknown;
    try {
      while (nowNs() < deadline) {
        pacer.check();
        let burstBytes = 0;
        let burstMessages = 0;
        while (
          ch.bufferedAmount() < config.highWater &&
          burstBytes < config.burstBytes &&
          burstMessages < 256
        ) {
          ch.send(encodeMessage(size, seq));
          seq++;
          burstBytes += size;
          burstMessages++;
        }
        if (ch.bufferedAmount() >= config.highWater) await pacer.waitLow();
        else await yieldToLoop();
      }
    } catch (error) {
      sendError = error;
    }
    const sendEnd = nowNs();
    result.sentMessages = seq;
    result.sentBytes = seq * size;
    result.sendMs = Number(sendEnd - t0) / 1e6;

    const [atStop, atWorker] = await Promise.all([
      router.stats(ch.dataProducerId),
      router.workerReceived(ch.dataProducerId),
    ]);
    result.backlogAtStopBytes = result.sentBytes - atStop.bytes;
    result.clientBacklogAtStopBytes = atWorker ? result.sentBytes - atWorker.bytes : NaN;

    const limits = sendError === undefined ? config : { ...config, drainTimeoutMs: 2000 };
    // When did the router (its worker, the SCTP endpoint) have every message? Timed here.
    const worker = await waitAtWorker(router, ch.dataProducerId, seq, limits);
    // And every message must reach the DirectTransport consumer, where it is verified.
    const { stats, problem: drainProblem } = await drain(router, ch.dataProducerId, seq, limits);
    const end = nowNs();
    const cpu = process.cpuUsage(cpu0);
    const workerCpu1 = await router.workerCpuSeconds();

    result.router = stats;
    result.receivedMessages = stats.count;
    result.receivedBytes = stats.bytes;
    const complete = stats.count >= seq && seq > 0;
    result.consumerElapsedMs =
      complete && stats.lastAt !== null ? stats.lastAt - t0Epoch : Number(end - t0) / 1e6;
    result.consumerMegabytesPerSecond = stats.bytes / 1e6 / (result.consumerElapsedMs / 1000);
    if (worker?.atNs !== undefined) {
      result.rateAt = 'worker';
      result.elapsedMs = Number(worker.atNs - t0) / 1e6;
      result.messagesPerSecond = worker.received.messages / (result.elapsedMs / 1000);
      result.megabytesPerSecond = worker.received.bytes / 1e6 / (result.elapsedMs / 1000);
    } else {
      result.rateAt = 'consumer';
      result.elapsedMs = result.consumerElapsedMs;
      result.messagesPerSecond = stats.count / (result.elapsedMs / 1000);
      result.megabytesPerSecond = result.consumerMegabytesPerSecond;
    }
    result.drainMs = Math.max(0, result.elapsedMs - result.sendMs);
    result.clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
    result.workerCpuSeconds = workerCpu1 - workerCpu0;
    result.wakeups = { ...pacer.wakeups };
    result.lowEvents = pacer.lowEvents;
    result.waitMs = pacer.waitMs;
    result.verification = {
      count: stats.count === seq && seq > 0,
      order: stats.orderErrors === 0,
      bytes: stats.bytes === seq * size && stats.sizeErrors === 0 && stats.ppidErrors === 0,
    };
    const problems: string[] = [];
    if (sendError !== undefined) problems.push(errorMessage(sendError));
    if (!result.verification.count) {
      problems.push(
        `router received ${stats.count} of ${seq} messages` +
          (drainProblem === undefined ? '' : ` (${drainProblem})`),
      );
    }
    if (worker?.problem !== undefined) {
      problems.push(
        `the worker received ${worker.received.messages} of ${seq} messages (${worker.problem})`,
      );
    }
    if (!result.verification.order) problems.push(`${stats.orderErrors} messages out of order`);
    if (!result.verification.bytes) {
      problems.push(
        `bytes ${stats.bytes}/${seq * size}, size errors ${stats.sizeErrors}, ` +
          `PPID errors ${stats.ppidErrors}`,
      );
    }
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (error) {
    result.ok = false;
    result.error = errorMessage(error);
  } finally {
    if (channel) {
      const { dataProducerId } = channel;
      const closeProblem = await closeEndpoint(channel, router, config, 'the channel', () =>
        router.untrack([dataProducerId]).catch(() => undefined),
      );
      if (closeProblem !== undefined) {
        result.error = [result.error, `close: ${closeProblem}`].filter(Boolean).join('; ');
      }
    }
  }
  return result;
}

// The receive side: the router sends to one client's DataConsumer (throughput), and one
// client's DataProducer reaches another client's DataConsumer through the router (latency).
// Every message is the CLI's load message and is verified at the client by the CLI's
// ReceiverChecker (count, order, size, binary).
import type { LocalTransportOptions } from 'mediasoup-local-router';
import { encodeMessage, epochNow, ReceiverChecker } from 'mediasoup-data-bots';

import type { BenchClient, BenchReceiver, SignalingRouter } from '../clients/types.js';
import type { RouterClient } from '../router/proxy.js';
import type { BenchConfig } from './config.js';
import { closeEndpoint, drainWatch } from './measure.js';
import type { RouterSendReport } from './routerPacing.js';
import { errorMessage, openWithTimeout, sleep, withTimeout } from './util.js';

/** The checker's name for the one producer of a measurement. */
const RUN = 'run';
const PPID_STRING = 51;

export interface ReceiveResult {
  client: string;
  size: number;
  round: number;
  ok: boolean;
  error?: string;
  sent: number;
  received: number;
  receivedBytes: number;
  /** Messages the router dropped (its DataConsumer's sctpsendbufferfull). */
  drops: number;
  /** First send at the router to the last arrival at the client. */
  elapsedMs: number;
  /** Last send at the router to the last arrival at the client. */
  drainMs: number;
  megabytesPerSecond: number;
  messagesPerSecond: number;
  clientCpuSeconds: number;
  workerCpuSeconds: number;
  /** The router host process (its Node side: the sending loop, mediasoup's channel to the worker). */
  hostCpuSeconds: number;
  /** The router side's pacing. */
  pacing?: Omit<RouterSendReport, 'firstSendAt' | 'lastSendAt'>;
  verification: { count: boolean; order: boolean; bytes: boolean };
}

export function emptyReceiveResult(client: string, size: number, round: number): ReceiveResult {
  return {
    client,
    size,
    round,
    ok: false,
    sent: 0,
    received: 0,
    receivedBytes: 0,
    drops: 0,
    elapsedMs: 0,
    drainMs: 0,
    megabytesPerSecond: 0,
    messagesPerSecond: 0,
    clientCpuSeconds: 0,
    workerCpuSeconds: 0,
    hostCpuSeconds: 0,
    verification: { count: false, order: false, bytes: false },
  };
}

/** Feeds a receiver's messages to a checker; remembers the first failure. */
function listen(
  receiver: BenchReceiver,
  checker: ReceiverChecker,
): { failure: () => string | undefined } {
  let failure: string | undefined;
  receiver.onMessage((data) => {
    if (typeof data === 'string') {
      checker.record(RUN, Buffer.from(data), epochNow(), PPID_STRING);
    } else checker.record(RUN, data);
  });
  receiver.onFailure((reason) => {
    failure ??= reason;
  });
  return { failure: () => failure };
}

/** Waits until the checker counted `count` messages: bounded like the send side's drain. */
async function arrivals(
  checker: ReceiverChecker,
  count: number,
  config: Pick<BenchConfig, 'drainTimeoutMs' | 'drainStallMs'>,
  failed: () => string | undefined,
): Promise<string | undefined> {
  const giveUp = drainWatch(config);
  for (;;) {
    const received = checker.received(RUN);
    if (received >= count) return undefined;
    const failure = failed();
    if (failure !== undefined) return failure;
    const problem = giveUp(received);
    if (problem !== undefined) return problem;
    await sleep(5);
  }
}

/** The verdict on what the checker saw of `sent` messages of `size` bytes. */
function verify(
  checker: ReceiverChecker,
  sent: number,
  size: number,
): { verification: ReceiveResult['verification']; problems: string[] } {
  const report = checker.report(RUN);
  const p = report?.producers[RUN];
  const messages = p?.messages ?? 0;
  const verification = {
    count: messages === sent && sent > 0,
    order: (p?.gaps ?? 1) === 0 && (p?.outOfOrder ?? 1) === 0,
    bytes:
      (p?.bytes ?? -1) === sent * size &&
      (p?.wrongSize ?? 1) === 0 &&
      (p?.notBinary ?? 1) === 0 &&
      (report?.malformed ?? 1) === 0,
  };
  const problems: string[] = [];
  if (!verification.count) problems.push(`the client received ${messages} of ${sent} messages`);
  if (!verification.order) {
    problems.push(`${p?.gaps ?? '?'} sequence gaps, ${p?.outOfOrder ?? '?'} out of order`);
  }
  if (!verification.bytes) {
    problems.push(
      `bytes ${p?.bytes ?? '?'}/${sent * size}, wrong size ${p?.wrongSize ?? '?'}, ` +
        `not binary ${p?.notBinary ?? '?'}, malformed ${report?.malformed ?? '?'}`,
    );
  }
  return { verification, problems };
}

/**
 * The router as the receive section's clients see it: their recv transports get the
 * configured SCTP send buffer (BENCH_RECV_SEND_BUFFER; 0 keeps mediasoup's default), so that
 * the router's window toward the client, not only the client, can be the limit measured.
 */
function withSendBuffer(router: RouterClient, config: BenchConfig): SignalingRouter {
  if (config.recvSendBuffer <= 0) return router;
  const extra: LocalTransportOptions = { sctpSendBufferSize: config.recvSendBuffer };
  return {
    get rtpCapabilities() {
      return router.rtpCapabilities;
    },
    createWebRtcTransport: (options) => router.createWebRtcTransport({ ...extra, ...options }),
    connect: (transportId, params) => router.connect(transportId, params),
    produceData: (transportId, params) => router.produceData(transportId, params),
    closeTransport: (transportId) => router.closeTransport(transportId),
  };
}

/** The client's openReceiver(): every client of the receive and latency sections has one. */
function openReceiverOf(client: BenchClient): NonNullable<BenchClient['openReceiver']> {
  const open = client.openReceiver?.bind(client);
  if (!open) throw new Error(`${client.name} cannot receive (it is in the scale section only)`);
  return open;
}

/**
 * One receive measurement: a fresh recv transport and DataConsumer of a fresh DataProducer
 * on the router's DirectTransport, which sends for `seconds` paced on the consumer's
 * buffered amount; then a bounded wait until the client has every message.
 */
export async function measureReceive(
  client: BenchClient,
  router: RouterClient,
  config: BenchConfig,
  size: number,
  round: number,
  seconds: number,
): Promise<ReceiveResult> {
  const result = emptyReceiveResult(client.name, size, round);
  let receiver: BenchReceiver | undefined;
  let consumerId: string | undefined;
  try {
    const label = `bench-recv-${client.name}-${size}-${round}`;
    receiver = await openWithTimeout(
      (signal) =>
        openReceiverOf(client)(
          withSendBuffer(router, config),
          label,
          async (transportId) => {
            const params = await router.call('consumeDirect', transportId, label);
            consumerId = params.id;
            return params;
          },
          signal,
        ),
      config.openTimeoutMs,
      `${client.name} open receiver`,
    );
    const checker = new ReceiverChecker({ latency: false });
    checker.register(RUN, RUN, { size });
    const { failure } = listen(receiver, checker);

    const workerCpu0 = await router.workerCpuSeconds();
    const hostCpu0 = await router.hostCpuSeconds();
    const cpu0 = process.cpuUsage();
    const sendReport = await router.call('sendPaced', receiver.dataConsumerId, {
      size,
      seconds,
      highWater: config.recvHighWater,
      maxChunks: config.recvMaxChunks,
      pollMs: 1,
    });
    const problem = await arrivals(checker, sendReport.sent, config, failure);
    const cpu = process.cpuUsage(cpu0);
    const workerCpu1 = await router.workerCpuSeconds();
    result.hostCpuSeconds = (await router.hostCpuSeconds()) - hostCpu0;

    const { firstSendAt, lastSendAt, ...pacing } = sendReport;
    result.pacing = pacing;
    result.sent = sendReport.sent;
    result.drops = sendReport.drops;
    const report = checker.report(RUN);
    result.received = report?.messages ?? 0;
    result.receivedBytes = report?.bytes ?? 0;
    const lastAt = report?.lastAt ?? NaN;
    result.elapsedMs = lastAt - firstSendAt;
    result.drainMs = lastAt - lastSendAt;
    result.megabytesPerSecond = result.receivedBytes / 1e6 / (result.elapsedMs / 1000);
    result.messagesPerSecond = result.received / (result.elapsedMs / 1000);
    result.clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
    result.workerCpuSeconds = workerCpu1 - workerCpu0;
    const { verification, problems } = verify(checker, sendReport.sent, size);
    result.verification = verification;
    if (sendReport.drops > 0) {
      problems.unshift(`the router dropped ${sendReport.drops} messages (sctpsendbufferfull)`);
    }
    if (problem !== undefined) problems.push(`waiting for the last messages: ${problem}`);
    const failed = failure();
    if (failed !== undefined) problems.push(`receiver failed: ${failed}`);
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (error) {
    result.ok = false;
    result.error = errorMessage(error);
  } finally {
    const problems: string[] = [];
    if (consumerId !== undefined) {
      await router.call('closeDirect', consumerId).catch((error: unknown) => {
        problems.push(errorMessage(error));
      });
    }
    if (receiver) {
      const closeProblem = await closeEndpoint(receiver, router, config, 'the receiver');
      if (closeProblem !== undefined) problems.push(closeProblem);
    }
    if (problems.length > 0) {
      result.error = [result.error, `close: ${problems.join('; ')}`].filter(Boolean).join('; ');
    }
  }
  return result;
}

export interface LatencyResult {
  client: string;
  round: number;
  ok: boolean;
  error?: string;
  size: number;
  rate: number;
  sent: number;
  received: number;
  /** Messages the router dropped on the way to B (its DataConsumer's sctpsendbufferfull). */
  drops: number;
  /** One-way, A's send() to B's message event, in ms. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Messages per second actually sent (the schedule kept). */
  achievedRate: number;
}

/**
 * Latency through the router: client A's DataProducer → router → client B's DataConsumer
 * (the same stack at both ends, both in this process), `size`-byte messages sent on a
 * schedule of `rate` per second for `seconds`.
 */
export async function measureLatency(
  client: BenchClient,
  router: RouterClient,
  config: BenchConfig,
  round: number,
): Promise<LatencyResult> {
  const { latencySize: size, latencyRate: rate, latencySeconds: seconds } = config;
  const result: LatencyResult = {
    client: client.name,
    round,
    ok: false,
    size,
    rate,
    sent: 0,
    received: 0,
    drops: 0,
    p50: NaN,
    p95: NaN,
    p99: NaN,
    max: NaN,
    achievedRate: NaN,
  };
  const label = `bench-latency-${client.name}-${round}`;
  let sender: Awaited<ReturnType<BenchClient['open']>> | undefined;
  let receiver: BenchReceiver | undefined;
  try {
    const a = await openWithTimeout(
      (signal) => client.open(router, label, signal),
      config.openTimeoutMs,
      `${client.name} open sender`,
    );
    sender = a;
    receiver = await openWithTimeout(
      (signal) =>
        openReceiverOf(client)(
          router,
          label,
          (transportId) => router.call('consumeData', transportId, a.dataProducerId),
          signal,
        ),
      config.openTimeoutMs,
      `${client.name} open receiver`,
    );
    const checker = new ReceiverChecker({ latency: true });
    checker.register(RUN, RUN, { size });
    const { failure } = listen(receiver, checker);
    let senderFailure: string | undefined;
    a.onFailure((reason) => {
      senderFailure ??= reason;
    });
    const total = Math.max(1, Math.round(rate * seconds));
    const t0 = performance.now();
    let seq = 0;
    while (seq < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (seq < due) a.send(encodeMessage(size, seq++));
      if (senderFailure !== undefined) throw new Error(`sender failed: ${senderFailure}`);
      await sleep(1);
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    result.sent = seq;
    result.achievedRate = seq / sendSeconds;
    const problem = await arrivals(checker, seq, config, failure);
    const report = checker.report(RUN);
    result.received = report?.messages ?? 0;
    const latency = report?.latencyMs;
    if (latency) {
      result.p50 = latency.p50;
      result.p95 = latency.p95;
      result.p99 = latency.p99;
      result.max = latency.max;
    }
    const { problems } = verify(checker, seq, size);
    if (problem !== undefined) problems.push(`waiting for the last messages: ${problem}`);
    result.drops = await router.call('consumerDrops', receiver.dataConsumerId);
    if (result.drops > 0) {
      problems.unshift(
        `the router dropped ${result.drops} messages to B (sctpsendbufferfull: B did not keep up)`,
      );
    }
    const failed = failure();
    if (failed !== undefined) problems.push(`receiver failed: ${failed}`);
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (error) {
    result.ok = false;
    result.error = errorMessage(error);
  } finally {
    const problems: string[] = [];
    if (receiver) {
      const p = await closeEndpoint(receiver, router, config, 'the receiver');
      if (p !== undefined) problems.push(p);
    }
    if (sender) {
      try {
        await withTimeout(Promise.resolve(sender.close()), config.closeTimeoutMs, 'closing');
      } catch (error) {
        problems.push(errorMessage(error));
      }
      await router.closeTransport(sender.transportId).catch((error: unknown) => {
        problems.push(errorMessage(error));
      });
    }
    if (problems.length > 0) {
      result.error = [result.error, `close: ${problems.join('; ')}`].filter(Boolean).join('; ');
    }
  }
  return result;
}

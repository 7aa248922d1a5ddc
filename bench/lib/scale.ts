// Scale: N transports with one DataProducer each, opened at once from this process.
import { encodeMessage } from 'mediasoup-data-bots';

import type { BenchChannel, BenchClient } from '../clients/types.js';
import type { RouterClient } from '../router/proxy.js';
import type { BenchConfig } from './config.js';
import {
  collectGarbage,
  errorMessage,
  msSince,
  nowNs,
  openWithTimeout,
  percentile,
  sleep,
  withTimeout,
} from './util.js';

export interface ScaleResult {
  client: string;
  n: number;
  ok: boolean;
  opened: number;
  failed: number;
  /** Distinct failure reasons with their counts. */
  failures: Record<string, number>;
  /** From the first open() call to the last one settled. */
  allOpenMs: number;
  connectMs: { p50: number; p99: number; max: number };
  /**
   * (RSS after opening - RSS before) / opened, after a full GC, in KiB; for a client whose
   * transports live in other processes (a browser), their memory (PSS) is added.
   */
  rssPerTransportKiB: number;
  /** CPU seconds of the client's other processes (a browser) during the test. */
  externalCpuSeconds?: number;
  gc: boolean;
  /** Transports whose one message arrived at the router. */
  delivered: number;
  closeMs: number;
  error?: string;
  /** The scale process did not exit on its own afterwards (what the client left running). */
  lingered?: boolean;
  /** CPU seconds the scale process used in all. */
  processCpuSeconds?: number;
  /** Opened this many per second instead of all at once (N above scaleAtOnceMaxN). */
  rampPerSecond?: number;
  /** Steady state, every transport open: idle, then one message per second each. */
  idle?: SteadyWindow;
  steady?: SteadyWindow;
}

/** CPU of the client (this process and its browser's) over a window of steady state. */
export interface SteadyWindow {
  seconds: number;
  /** Messages each transport sent per second (0: idle). */
  rate: number;
  cpuSeconds: number;
  /** Client CPU per transport-second, µs. */
  usPerBotSecond: number;
  /** Transports whose every message of the window arrived (rate > 0). */
  delivered?: number;
}

export function emptyScaleResult(client: string, n: number): ScaleResult {
  return {
    client,
    n,
    ok: false,
    opened: 0,
    failed: 0,
    failures: {},
    allOpenMs: 0,
    connectMs: { p50: NaN, p99: NaN, max: NaN },
    rssPerTransportKiB: NaN,
    gc: false,
    delivered: 0,
    closeMs: 0,
  };
}

async function settle(): Promise<boolean> {
  const gc = collectGarbage();
  await sleep(200);
  collectGarbage();
  return gc;
}

/**
 * The client's CPU over `seconds` of steady state: with `rate` 1, every channel sends one
 * message a second (numbered from 1, after the check's 0), spread evenly over the second
 * by one 10 ms tick, as a load test paces its bots.
 */
async function steadyWindow(
  client: BenchClient,
  channels: BenchChannel[],
  seconds: number,
  rate: 0 | 1,
): Promise<SteadyWindow> {
  const external0 = await client.externalUsage?.();
  const cpu0 = process.cpuUsage();
  const t0 = nowNs();
  if (rate === 0) await sleep(seconds * 1000);
  else {
    const slots = 100;
    const messages = Array.from({ length: seconds }, (_unused, i) => encodeMessage(100, i + 1));
    await new Promise<void>((resolve) => {
      let tick = 0;
      const timer = setInterval(() => {
        const second = Math.floor(tick / slots);
        const slot = tick % slots;
        const message = messages[second];
        if (!message) {
          clearInterval(timer);
          resolve();
          return;
        }
        const from = Math.floor((slot * channels.length) / slots);
        const to = Math.floor(((slot + 1) * channels.length) / slots);
        for (let i = from; i < to; i++) {
          try {
            channels[i]?.send(message);
          } catch {
            // Counted as not delivered.
          }
        }
        tick++;
      }, 1000 / slots);
    });
  }
  const wallSeconds = msSince(t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const external1 = await client.externalUsage?.();
  const cpuSeconds =
    (cpu.user + cpu.system) / 1e6 +
    (external0 && external1 ? external1.cpuSeconds - external0.cpuSeconds : 0);
  return {
    seconds,
    rate,
    cpuSeconds,
    usPerBotSecond: (cpuSeconds * 1e6) / channels.length / wallSeconds,
  };
}

export async function measureScale(
  client: BenchClient,
  router: RouterClient,
  config: BenchConfig,
  n: number,
): Promise<ScaleResult> {
  const result = emptyScaleResult(client.name, n);
  const channels: BenchChannel[] = [];
  let primer: BenchChannel | undefined;
  try {
    // One transport first, kept open and not counted: what every process pays once
    // (libraries, thread pools, a loaded device) stays out of the per-transport figures.
    primer = await openWithTimeout(
      (signal) => client.open(router, `scale-${client.name}-primer`, signal),
      config.openTimeoutMs,
      `${client.name} open (primer)`,
    );
    result.gc = await settle();
    const external0 = await client.externalUsage?.();
    const rss0 = process.memoryUsage().rss + (external0?.memoryBytes ?? 0);

    const t0 = nowNs();
    const connectTimes: number[] = [];
    // Thousands at once only measure a machine swamped by handshakes: above the cap, a ramp.
    const ramp = n > config.scaleAtOnceMaxN ? config.scaleRampPerSecond : 0;
    if (ramp > 0) result.rampPerSecond = ramp;
    const settled = await Promise.allSettled(
      Array.from({ length: n }, async (_unused, i) => {
        if (ramp > 0) await sleep((i * 1000) / ramp);
        const start = nowNs();
        const channel = await openWithTimeout(
          (signal) => client.open(router, `scale-${client.name}-${i}`, signal),
          config.scaleOpenTimeoutMs,
          `${client.name} open`,
        );
        connectTimes.push(msSince(start));
        channels.push(channel);
        return channel;
      }),
    );
    result.allOpenMs = msSince(t0);
    for (const s of settled) {
      if (s.status === 'rejected') {
        result.failed++;
        const reason = errorMessage(s.reason);
        result.failures[reason] = (result.failures[reason] ?? 0) + 1;
      }
    }
    result.opened = channels.length;
    result.connectMs = {
      p50: percentile(connectTimes, 50),
      p99: percentile(connectTimes, 99),
      max: percentile(connectTimes, 100),
    };

    await settle();
    const rss1 = process.memoryUsage().rss + ((await client.externalUsage?.())?.memoryBytes ?? 0);
    if (channels.length > 0) result.rssPerTransportKiB = (rss1 - rss0) / channels.length / 1024;

    // Every transport sends one message (sequence 0); the router must get each.
    const ids = channels.map((c) => c.dataProducerId);
    await router.track(ids, 100);
    const message = encodeMessage(100, 0);
    for (const channel of channels) {
      try {
        channel.send(Buffer.from(message));
      } catch (error) {
        const reason = `send: ${errorMessage(error)}`;
        result.failures[reason] = (result.failures[reason] ?? 0) + 1;
      }
    }
    const { complete } = await router.waitForEach(ids, 1, 20000);
    result.delivered = complete;
    const external1 = await client.externalUsage?.();
    if (external0 && external1) {
      result.externalCpuSeconds = external1.cpuSeconds - external0.cpuSeconds;
    }
    if (config.scaleSteadySeconds > 0 && channels.length > 0) {
      result.idle = await steadyWindow(client, channels, config.scaleSteadySeconds, 0);
      // A browser page takes one call from here per message: that would measure the driver.
      if (!client.externalUsage) {
        result.steady = await steadyWindow(client, channels, config.scaleSteadySeconds, 1);
        const sent = 1 + result.steady.seconds;
        result.steady.delivered = (await router.waitForEach(ids, sent, 20000)).complete;
      }
    }
    result.ok =
      result.opened === n &&
      result.delivered === n &&
      (result.steady?.delivered === undefined || result.steady.delivered === n);
    if (!result.ok) {
      const problems: string[] = [];
      if (result.failed > 0) problems.push(`${result.failed} of ${n} did not open`);
      if (result.steady?.delivered !== undefined && result.steady.delivered < result.opened) {
        problems.push(
          `${result.opened - result.steady.delivered} of ${result.opened} opened transports lost messages at 1 msg/s`,
        );
      }
      if (result.delivered < result.opened) {
        problems.push(
          `${result.opened - result.delivered} of ${result.opened} opened transports delivered nothing`,
        );
      }
      result.error = problems.join('; ');
    }
  } catch (error) {
    result.ok = false;
    result.error = errorMessage(error);
  } finally {
    const closeStart = nowNs();
    await router.untrack(channels.map((c) => c.dataProducerId)).catch(() => undefined);
    await Promise.allSettled(
      channels.map(async (channel) => {
        await withTimeout(Promise.resolve(channel.close()), config.closeTimeoutMs, 'close').catch(
          () => undefined,
        );
        await router.closeTransport(channel.transportId).catch(() => undefined);
      }),
    );
    result.closeMs = msSince(closeStart);
    if (primer) {
      const p = primer;
      await withTimeout(Promise.resolve(p.close()), config.closeTimeoutMs, 'close').catch(
        () => undefined,
      );
      await router.closeTransport(p.transportId).catch(() => undefined);
    }
  }
  return result;
}

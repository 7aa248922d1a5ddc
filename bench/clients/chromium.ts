// The yardstick of load-testers: a bot as a headless Chromium page running mediasoup-client
// (Chrome111 handler, the browser's own libwebrtc). One browser, one page per transport.
// Debian's chromium is driven by playwright-core; both, and the page's mediasoup-client
// bundle, come from bench/chromium/setup.sh, outside the workspace. The browser's processes
// are not this process: their memory and CPU are read from /proc (externalUsage()).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { abortable, errorMessage } from '../lib/util.js';
import type { BenchChannel, BenchClient, ExternalUsage, SignalingRouter } from './types.js';

const CACHE = join(
  process.env.MEDIASOUP_DATA_PRODUCER_CACHE ?? join(homedir(), '.cache', 'mediasoup-data-producer'),
  'bench-chromium',
);
const EXECUTABLE = '/usr/bin/chromium';
const BUNDLE = join(CACHE, 'mediasoup-client.js');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  // The router listens on 127.0.0.1, which Chrome leaves out of its candidates otherwise.
  '--allow-loopback-in-peer-connection',
];

/** True when bench/chromium/setup.sh has run: the scale section then includes Chromium. */
export function chromiumReady(): boolean {
  return (
    existsSync(EXECUTABLE) &&
    existsSync(BUNDLE) &&
    existsSync(join(CACHE, 'node_modules', 'playwright-core'))
  );
}

// The small part of playwright-core used here (it is loaded from the cache at run time).
interface Page {
  addScriptTag(options: { content: string }): Promise<unknown>;
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  on(event: 'crash' | 'close', listener: () => void): unknown;
  close(): Promise<void>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath: string; args: string[] }): Promise<Browser> };
}

// What runs in the page (mediasoup-client's browser API, which this project's types lack).
interface PageWindow {
  mediasoupClient: {
    Device: new (options: { handlerName: string }) => {
      load(options: { routerRtpCapabilities: unknown }): Promise<void>;
      createSendTransport(params: unknown): {
        id: string;
        on(event: string, listener: (...args: never[]) => void): void;
        produceData(options: { ordered: boolean; label: string }): Promise<{
          id: string;
          readyState: string;
          send(data: Uint8Array): void;
          on(event: string, listener: (...args: never[]) => void): void;
        }>;
      };
    };
  };
  benchSignal(method: 'connect' | 'produceData', args: unknown): Promise<unknown>;
  benchSend(base64: string): void;
}

export function createClient(): BenchClient {
  if (!chromiumReady()) {
    throw new Error('Chromium is not set up: run `bash bench/chromium/setup.sh`');
  }
  const playwright = createRequire(join(CACHE, 'package.json'))('playwright-core') as Playwright;
  const bundle = readFileSync(BUNDLE, 'utf8');
  let browser: Promise<Browser> | undefined;
  const launch = (): Promise<Browser> =>
    (browser ??= playwright.chromium.launch({ executablePath: EXECUTABLE, args: ARGS }));

  return {
    name: 'chromium',
    stack: `mediasoup-client (Chrome111 handler) in headless Chromium pages (${chromiumVersion()}), one page per transport`,
    async open(router, label, signal) {
      const page = await abortable(
        launch().then((b) => b.newPage()),
        signal,
      );
      try {
        return await abortable(openInPage(page, router, label, bundle), signal);
      } catch (error) {
        await page.close().catch(() => undefined);
        throw error;
      }
    },
    externalUsage: () => Promise.resolve(browserUsage()),
    async dispose() {
      if (browser) await (await browser).close();
    },
  };
}

async function openInPage(
  page: Page,
  router: SignalingRouter,
  label: string,
  bundle: string,
): Promise<BenchChannel> {
  await page.addScriptTag({ content: bundle });
  const params = await router.createWebRtcTransport({ numSctpStreams: { OS: 1024, MIS: 1024 } });
  // The page's signaling goes through this process, as a bot's would go to its app.
  await page.exposeFunction('benchSignal', (method: string, args: never) => {
    const request = args as { dtlsParameters: unknown } & Parameters<
      SignalingRouter['produceData']
    >[1];
    if (method === 'connect') {
      return router.connect(params.id, { dtlsParameters: request.dtlsParameters });
    }
    if (method === 'produceData') return router.produceData(params.id, request);
    throw new Error(`unknown signaling method ${method}`);
  });
  const dataProducerId = await page.evaluate(
    async ({ rtpCapabilities, transportParams, channelLabel }) => {
      const win = globalThis as unknown as PageWindow;
      const device = new win.mediasoupClient.Device({ handlerName: 'Chrome111' });
      await device.load({ routerRtpCapabilities: rtpCapabilities });
      const transport = device.createSendTransport(transportParams);
      transport.on(
        'connect',
        (
          { dtlsParameters }: { dtlsParameters: unknown },
          callback: () => void,
          errback: (error: Error) => void,
        ) => {
          win.benchSignal('connect', { dtlsParameters }).then(callback, errback);
        },
      );
      transport.on(
        'producedata',
        (
          parameters: unknown,
          callback: (result: unknown) => void,
          errback: (error: Error) => void,
        ) => {
          win.benchSignal('produceData', parameters).then(callback, errback);
        },
      );
      const dataProducer = await transport.produceData({ ordered: true, label: channelLabel });
      if (dataProducer.readyState !== 'open') {
        await new Promise<void>((resolve, reject) => {
          dataProducer.on('open', resolve);
          dataProducer.on('error', reject as never);
        });
      }
      win.benchSend = (base64) => {
        dataProducer.send(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
      };
      return dataProducer.id;
    },
    { rtpCapabilities: router.rtpCapabilities, transportParams: params, channelLabel: label },
  );
  let onFailure: ((reason: string) => void) | undefined;
  let closing = false;
  page.on('crash', () => onFailure?.('the page crashed'));
  page.on('close', () => {
    if (!closing) onFailure?.('the page closed');
  });
  return {
    dataProducerId,
    transportId: params.id,
    // One call into the page per message: the scale section sends one message per transport.
    send(data) {
      page
        .evaluate((base64) => {
          (globalThis as unknown as PageWindow).benchSend(base64);
        }, data.toString('base64'))
        .catch((error: unknown) => onFailure?.(`send: ${errorMessage(error)}`));
    },
    bufferedAmount: () => 0,
    setBufferedAmountLowThreshold: () => undefined,
    onBufferedAmountLow: () => undefined,
    onFailure(cb) {
      onFailure = cb;
    },
    async close() {
      closing = true;
      await page.close();
    },
  };
}

function chromiumVersion(): string {
  try {
    return execFileSync(EXECUTABLE, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'chromium';
  }
}

/**
 * Memory (proportional set size, so that pages' shared memory counts once) and CPU of every
 * process below this one: the browser and its renderers, zygotes and utilities.
 */
function browserUsage(): ExternalUsage {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = statOf(Number(entry))?.ppid;
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const ticks = 100; // USER_HZ on Linux
  let memoryBytes = 0;
  let cpuSeconds = 0;
  const pending = [...(children.get(process.pid) ?? [])];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    pending.push(...(children.get(pid) ?? []));
    const stat = statOf(pid);
    if (!stat || !/chrom/i.test(stat.comm)) continue;
    cpuSeconds += stat.cpuTicks / ticks;
    memoryBytes += pssOf(pid);
  }
  return { memoryBytes, cpuSeconds };
}

function statOf(pid: number): { comm: string; ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

function pssOf(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// Long-running bots open and close producers and transports for hours: memory must stay flat
// and nothing native may be left behind. The big cycles run in a child `node --expose-gc`
// against the built package, so that memory is measured after real GCs in a clean process
// and so that "the process exits on its own" can be observed; a smaller run in-process lets
// jest's --detectOpenHandles look for leftovers.
import { runFixture } from '../support/faults.js';
import {
  createTransport,
  startSession,
  openProducer,
  routerVersionAtLeast,
  waitUntil,
} from '../support/session.js';

jest.setTimeout(120000);

const MiB = 1024 * 1024;
const PRODUCER_CYCLES = 6000;
const TRANSPORT_CYCLES = 300;

/**
 * Bounds (docs/failure-behaviour.md). Measured on the 2-core CI machine: RSS after GC rises
 * by ~10 MiB over the first ~3000 producer cycles (native allocator and SCTP stream tables
 * for the ids in use or resting), then stays within ~1 MiB; the JS heap stays within
 * ~0.4 MiB. A leak of 1 KiB per cycle would add ~6 MiB over the run.
 */
/**
 * With a router from mediasoup 3.20 on (65535 SCTP streams each way), the client's RSS steps
 * up ~17 MiB once, between ~3000 and ~5000 cycles, then stays flat (15,000 cycles measured):
 * there the warm-up runs past that step, so that the bounds still catch a per-cycle leak.
 */
const WARMUP_CYCLES = routerVersionAtLeast('3.20.0') ? 5000 : undefined;

const BOUNDS = {
  producers: { rssTotal: 32 * MiB, rssSecondHalf: 6 * MiB, heapTotal: 2 * MiB },
  transports: { rssTotal: 16 * MiB, rssSecondHalf: 6 * MiB, heapTotal: 2 * MiB },
  exitMs: 5000,
};

interface Sample {
  cycles: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface LeakReport {
  producerCycles: number;
  transportCycles: number;
  producerSamples: Sample[];
  transportSamples: Sample[];
  failures: string[];
  sent: number;
  received: number;
  resourcesAfterClose: string[];
}

function growth(samples: Sample[], key: 'rss' | 'heapUsed', from = 0): number {
  const first = samples[from];
  const last = samples.at(-1);
  if (!first || !last) throw new Error('no samples');
  return last[key] - first[key];
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

test(`${PRODUCER_CYCLES} producer and ${TRANSPORT_CYCLES} transport create/close cycles: RSS and heap after GC stay flat within the documented bounds, no handle is left, the process exits on its own`, async () => {
  const run = await runFixture('leakCycles.cjs', {
    nodeArgs: ['--expose-gc'],
    env: {
      PRODUCER_CYCLES: String(PRODUCER_CYCLES),
      TRANSPORT_CYCLES: String(TRANSPORT_CYCLES),
      ...(WARMUP_CYCLES !== undefined && { WARMUP_CYCLES: String(WARMUP_CYCLES) }),
    },
    timeoutMs: 100000,
  });
  expect({ code: run.code, timedOut: run.timedOut, stderr: run.stderr }).toEqual({
    code: 0,
    timedOut: false,
    stderr: '',
  });
  const last = run.reports.at(-1);
  if (!last) throw new Error(`no report from the fixture: ${run.stdout}`);
  const report = last.value as LeakReport;

  // Every cycle worked, and every message sent arrived.
  expect(report.failures).toEqual([]);
  expect(report.received).toBe(report.sent);
  expect(report.producerSamples.at(-1)?.cycles).toBe(PRODUCER_CYCLES);
  expect(report.transportSamples.at(-1)?.cycles).toBe(TRANSPORT_CYCLES);

  const producers = report.producerSamples;
  const transports = report.transportSamples;
  const half = (samples: Sample[]): number => Math.floor((samples.length - 1) / 2);
  const measured = {
    producers: {
      rssTotal: growth(producers, 'rss'),
      rssSecondHalf: growth(producers, 'rss', half(producers)),
      heapTotal: growth(producers, 'heapUsed'),
    },
    transports: {
      rssTotal: growth(transports, 'rss'),
      rssSecondHalf: growth(transports, 'rss', half(transports)),
      heapTotal: growth(transports, 'heapUsed'),
    },
  };
  console.info(
    `[leaks] producers: RSS ${mib(producers[0]?.rss ?? 0)} -> ${mib(producers.at(-1)?.rss ?? 0)} ` +
      `(second half ${mib(measured.producers.rssSecondHalf)}), heap ${mib(measured.producers.heapTotal)}; ` +
      `transports: RSS ${mib(transports[0]?.rss ?? 0)} -> ${mib(transports.at(-1)?.rss ?? 0)} ` +
      `(second half ${mib(measured.transports.rssSecondHalf)}), heap ${mib(measured.transports.heapTotal)}; ` +
      `exit ${run.exitedAt - last.at} ms after the last close; samples ${JSON.stringify({
        producers: producers.map((s) => [s.cycles, mib(s.rss), mib(s.heapUsed)]),
        transports: transports.map((s) => [s.cycles, mib(s.rss), mib(s.heapUsed)]),
      })}`,
  );
  for (const kind of ['producers', 'transports'] as const) {
    expect(measured[kind].rssTotal).toBeLessThan(BOUNDS[kind].rssTotal);
    expect(measured[kind].rssSecondHalf).toBeLessThan(BOUNDS[kind].rssSecondHalf);
    expect(measured[kind].heapTotal).toBeLessThan(BOUNDS[kind].heapTotal);
  }

  // Nothing is left: no handle after closing everything, and the process (whose
  // node-datachannel threads would keep it alive) ended by itself right after.
  expect(report.resourcesAfterClose).toEqual([]);
  expect(run.exitedAt - last.at).toBeLessThan(BOUNDS.exitMs);
});

test('in-process: 300 producer and 20 transport create/close cycles leave no handle behind (jest --detectOpenHandles checks the rest)', async () => {
  const resourcesBefore = process.getActiveResourcesInfo();
  const session = await startSession();
  try {
    const transport = await createTransport(session);
    for (let i = 0; i < 300; i++) {
      const dataProducer = await openProducer(transport, { label: `p${i}` });
      dataProducer.send(`m${i}`);
      await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
      dataProducer.close();
    }
    transport.close();
    for (let i = 0; i < 20; i++) {
      const cycled = await createTransport(session);
      const dataProducer = await openProducer(cycled);
      dataProducer.send('hello');
      await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });
      cycled.close();
      session.router.closeTransport(cycled.id);
    }
  } finally {
    await session.close();
  }
  // Timers of the library (signaling timeouts, stream id rests) and sockets are all gone:
  // nothing is active now that was not before (mediasoup may take a moment to let go of its
  // channel pipes on a loaded machine).
  const leftOver = (): string[] => {
    const left = process.getActiveResourcesInfo();
    for (const resource of resourcesBefore) {
      const i = left.indexOf(resource);
      if (i >= 0) left.splice(i, 1);
    }
    return left;
  };
  await waitUntil(() => leftOver().length === 0, 3000, 'no resource left').catch(() => undefined);
  const left = leftOver();
  expect(left).toEqual([]);
});

// The CLI's pure parts, without processes or a router.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { InvalidArgumentError } from 'commander';

import { isAdapter, pickAdapterExport } from 'mediasoup-data-bots';
import { Histogram, percentilesOf } from 'mediasoup-data-bots';
import { decodeMessage, encodeMessage, HEADER_SIZE } from 'mediasoup-data-bots';
import { describeMessageTooLarge, parseBytes, parseRate, parseSeconds } from '../../src/options.js';
import { ReceiverChecker } from 'mediasoup-data-bots';
import { chartSpec, vegaLiteSchemaUrl, type Report } from '../../src/report.js';

describe('message format', () => {
  test('sequence number and send time round-trip, padded to the size', () => {
    const message = encodeMessage(100, 2 ** 40 + 7, 1234.5);
    expect(message.byteLength).toBe(100);
    expect(decodeMessage(message)).toEqual({ seq: 2 ** 40 + 7, sentAt: 1234.5 });
    expect(message.subarray(HEADER_SIZE).every((b) => b === 0)).toBe(true);
    expect(decodeMessage(new Uint8Array(15))).toBeUndefined();
  });

  test('decodes from a view at an offset', () => {
    const backing = Buffer.alloc(64);
    encodeMessage(32, 5, 99).copy(backing, 7);
    expect(decodeMessage(backing.subarray(7, 39))).toEqual({ seq: 5, sentAt: 99 });
  });
});

describe('Histogram', () => {
  test('percentiles, max and mean within 0.1 %', () => {
    const h = new Histogram();
    for (let i = 1; i <= 10000; i++) h.record(i / 10);
    const s = h.summary();
    expect(s?.count).toBe(10000);
    expect(Math.abs((s?.max ?? 0) - 1000) / 1000).toBeLessThanOrEqual(0.001);
    expect(Math.abs((s?.mean ?? 0) - 500.05) / 500.05).toBeLessThanOrEqual(0.001);
    for (const [p, exact] of [
      [50, 500],
      [95, 950],
      [99, 990],
    ] as const) {
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThanOrEqual(0.001);
    }
  });

  test('negative and zero values count as 0; empty has no summary', () => {
    const h = new Histogram();
    expect(h.summary()).toBeUndefined();
    h.record(-3);
    h.record(0);
    expect(h.percentile(99)).toBe(0);
  });

  test('percentilesOf is exact', () => {
    expect(percentilesOf([5, 1, 3, 2, 4])).toMatchObject({ p50: 3, p99: 5, max: 5, count: 5 });
    expect(percentilesOf([])).toBeUndefined();
  });
});

describe('ReceiverChecker', () => {
  test('counts per run, finds out-of-order and malformed messages, measures latency', () => {
    const checker = new ReceiverChecker();
    checker.registerFromAppData('a', { mdpRunId: 'run1' });
    checker.registerFromAppData('b', { mdpRunId: 'run1' });
    checker.registerFromAppData('c', { mdpRunId: 'run2' });
    checker.registerFromAppData('d', {});
    const t = 1_700_000_000_000;
    checker.record('a', encodeMessage(32, 0, t), t + 2);
    checker.record('a', encodeMessage(32, 2, t), t + 2);
    checker.record('a', encodeMessage(32, 1, t), t + 4); // late: out of order
    checker.record('b', encodeMessage(16, 0, t), t + 1000);
    checker.record('b', new Uint8Array(3), t + 1000); // malformed
    checker.record('c', encodeMessage(16, 0, t), t + 1);
    checker.record('d', encodeMessage(16, 0, t), t + 1); // no run: ignored
    checker.record('unknown', encodeMessage(16, 0, t), t + 1);

    const report = checker.report('run1');
    expect(report).toMatchObject({
      messages: 4,
      bytes: 3 * 32 + 16,
      outOfOrder: 1,
      malformed: 1,
      producers: {
        a: { messages: 3, bytes: 96, outOfOrder: 1 },
        b: { messages: 1, bytes: 16, outOfOrder: 0 },
      },
      firstAt: t + 2,
      lastAt: t + 1000,
    });
    // HdrHistogram: the top of the value's bucket, within 0.1 %.
    expect(Math.abs((report?.latencyMs?.max ?? 0) - 1000)).toBeLessThanOrEqual(1);
    expect(report?.timeline?.map((s) => s.messages)).toEqual([3, 1]);
    expect(checker.report('run2')?.messages).toBe(1);
    expect(checker.report('nope')).toBeUndefined();
    checker.forget('run1');
    expect(checker.report('run1')).toBeUndefined();
  });

  test('ReceiverChecker.record() given a skipped and a repeated sequence number counts two gaps', () => {
    const checker = new ReceiverChecker();
    checker.register('p', 'run');
    for (const seq of [0, 1, 3, 3, 4]) checker.record('p', encodeMessage(16, seq));
    // 3 after 1 skips 2; the second 3 is not 4. The arrival after it (4) follows it.
    expect(checker.report('run')).toMatchObject({ messages: 5, gaps: 2, outOfOrder: 1 });
  });

  test('ReceiverChecker.record() with a registered size counts messages of another size', () => {
    const checker = new ReceiverChecker();
    checker.register('p', 'run', { size: 32 });
    checker.record('p', encodeMessage(32, 0));
    checker.record('p', encodeMessage(33, 1));
    checker.record('p', new Uint8Array(3));
    expect(checker.report('run')).toMatchObject({ messages: 2, wrongSize: 2, malformed: 1 });
  });

  test('ReceiverChecker.record() given a string PPID counts it as not binary', () => {
    const checker = new ReceiverChecker();
    checker.register('p', 'run');
    checker.record('p', encodeMessage(16, 0), undefined, 53);
    checker.record('p', encodeMessage(16, 1), undefined, 51);
    checker.record('p', encodeMessage(16, 2));
    expect(checker.report('run')?.producers.p).toMatchObject({ messages: 3, notBinary: 1 });
  });

  test('ReceiverChecker.received() without latency counts arrivals and keeps no timeline', () => {
    const checker = new ReceiverChecker({ latency: false });
    checker.register('p', 'run');
    checker.record('p', encodeMessage(16, 0));
    checker.record('p', encodeMessage(16, 1));
    expect(checker.received('p')).toBe(2);
    expect(checker.received('other')).toBe(0);
    expect(checker.report('run')).toMatchObject({ messages: 2, gaps: 0, timeline: [] });
    expect(checker.report('run')?.latencyMs).toBeUndefined();
  });
});

describe('option parsers', () => {
  test('bytes with units', () => {
    const parse = parseBytes(16, 1024 * 1024);
    expect(parse('1024')).toBe(1024);
    expect(parse('1k')).toBe(1024);
    expect(parse('1KiB')).toBe(1024);
    expect(parse('2kB')).toBe(2000);
    expect(parse('1MiB')).toBe(1024 * 1024);
    for (const bad of ['8', '2MiB', 'abc', '1.5', '', '-1k', '1 parsec']) {
      expect(() => parse(bad)).toThrow(InvalidArgumentError);
    }
  });

  test('rate and seconds', () => {
    expect(parseRate('unlimited')).toBe(0);
    expect(parseRate('0')).toBe(0);
    expect(parseRate('12.5')).toBe(12.5);
    expect(() => parseRate('-1')).toThrow(InvalidArgumentError);
    expect(() => parseRate('fast')).toThrow(InvalidArgumentError);
    const positive = parseSeconds(0, { inclusive: false });
    expect(positive('1.5')).toBe(1.5);
    expect(positive('3s')).toBe(3);
    expect(() => positive('0')).toThrow(InvalidArgumentError);
    expect(parseSeconds(0, { inclusive: true })('0')).toBe(0);
  });
});

describe('adapter modules', () => {
  const adapter = {
    getRouterRtpCapabilities: () => Promise.resolve({}),
    createWebRtcTransport: () => Promise.reject(new Error('x')),
    connectWebRtcTransport: () => Promise.resolve(),
    produceData: () => Promise.resolve({ id: 'p' }),
  };
  const factory = (): typeof adapter => adapter;

  test('finds createAdapter, a default function or object, or named methods', () => {
    expect(pickAdapterExport({ createAdapter: factory })).toBe(factory);
    expect(pickAdapterExport({ default: factory })).toBe(factory);
    expect(pickAdapterExport({ default: adapter })).toBe(adapter);
    // CommonJS compiled from `export default` and seen through import().
    expect(pickAdapterExport({ default: { default: factory } })).toBe(factory);
    expect(pickAdapterExport({ ...adapter })).toMatchObject(adapter);
    expect(pickAdapterExport({ hello: 1 })).toBeUndefined();
    expect(isAdapter(adapter)).toBe(true);
    expect(isAdapter({ ...adapter, produceData: 1 })).toBe(false);
  });
});

describe('describeMessageTooLarge()', () => {
  test('describeMessageTooLarge() given the engine problem names the --size option and the limit', () => {
    expect(describeMessageTooLarge({ size: 262145, limit: 262144 })).toBe(
      '--size 262145 is larger than the router accepts (at most 262144 bytes per message)',
    );
  });
});

describe('chart spec', () => {
  const installed = (
    JSON.parse(
      readFileSync(join(dirname(require.resolve('vega-lite')), '..', 'package.json'), 'utf8'),
    ) as {
      version: string;
    }
  ).version;
  const installedMajor = installed.split('.')[0];
  // chartSpec() reads only these parts of a report.
  const report = {
    command: 'demo',
    options: { size: 1024 },
    summary: { transports: { total: 1 }, producers: { total: 1 }, startedAt: 'now' },
    timeline: [{ t: 0, sentMessages: 1, sentBytes: 1024, bufferedAmount: 0, openTransports: 1 }],
  } as unknown as Report;

  test('vegaLiteSchemaUrl() with the installed vega-lite version names its major version', () => {
    expect(vegaLiteSchemaUrl(installed)).toBe(
      `https://vega.github.io/schema/vega-lite/v${installedMajor}.json`,
    );
    expect(() => vegaLiteSchemaUrl('next')).toThrow(/expected a vega-lite version such as 6\.4\.3/);
  });

  test('chartSpec() given the loaded vega-lite version names that version schema', () => {
    expect(chartSpec(report, '6.4.3').$schema).toBe(
      'https://vega.github.io/schema/vega-lite/v6.json',
    );
  });

  test('chartSpec() without a version names the installed vega-lite major version', () => {
    expect(chartSpec(report).$schema).toBe(vegaLiteSchemaUrl(installed));
  });

  test('chartSpec() of a room run draws what the consumers received and its end-to-end latency', () => {
    const rooms = {
      ...report,
      timeline: [
        {
          t: 0,
          sentMessages: 10,
          sentBytes: 10240,
          receivedMessages: 10,
          latencyP50Ms: 1,
          latencyP99Ms: 2,
          deliveredMessages: 30,
          deliveredLatencyP50Ms: 3,
          deliveredLatencyP99Ms: 9,
          bufferedAmount: 0,
          openTransports: 4,
        },
      ],
    } as Report;
    const [throughput, latency] = (
      chartSpec(rooms).vconcat as { data: { values: { series: string; value: number }[] } }[]
    ).map((panel) => Object.fromEntries(panel.data.values.map((v) => [v.series, v.value])));

    expect(throughput).toEqual({
      sent: 10,
      'received by the router': 10,
      'delivered to consumers': 30,
    });
    expect(latency).toEqual({
      'to the router p50': 1,
      'to the router p99': 2,
      'end to end p50': 3,
      'end to end p99': 9,
    });
  });
});

// The CLI as users run it: the built dist/cjs/cli/main.js in a child process, against the
// local router (demo) and against a WebSocket app server in this process (load).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import WebSocket from 'ws';

import type { Report } from '../../src/report.js';
import { startFakeWsServer } from '@test-support/fakeWsServer.js';
import { assertBuilt, CLI, runCli, readReport } from '../support/runCli.js';
import { startWsSignalingServer, type WsSignalingServer } from '../support/wsSignalingServer.js';

jest.setTimeout(90000);

let tmp: string;

beforeAll(() => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'mdp-cli-test-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** The value column of a summary row, e.g. row(stdout, 'lost') === '0'. */
function row(stdout: string, name: string): string {
  const match = new RegExp(`^  ${name} +(.*)$`, 'm').exec(stdout);
  if (!match?.[1]) throw new Error(`no "${name}" row in:\n${stdout}`);
  return match[1];
}

/** A histogram's summary of real samples: 0 < p50 <= p95 <= p99 <= max, and 0 < mean <= max. */
function expectPercentilesInOrder(percentiles: Report['summary']['latencyMs']): void {
  const { p50, p95, p99, max, mean } = percentiles ?? {};
  expect([p50, p95, p99, max, mean].every((v) => typeof v === 'number' && v > 0)).toBe(true);
  expect(p50).toBeLessThanOrEqual(p95 ?? -1);
  expect(p95).toBeLessThanOrEqual(p99 ?? -1);
  expect(p99).toBeLessThanOrEqual(max ?? -1);
  expect(mean).toBeLessThanOrEqual(max ?? -1);
}

describe('demo', () => {
  test('sends to the local router, checks every message and writes the report', async () => {
    const reportDir = join(tmp, 'demo');
    const jsonPath = join(tmp, 'demo-out.json');
    const result = await runCli([
      'demo',
      '--transports',
      '2',
      '--producers',
      '2',
      '--size',
      '512',
      '--duration',
      '1.5',
      '--report-dir',
      reportDir,
      '--json',
      jsonPath,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // It names the router it ran against: the version scripts/test.sh chose, and why.
    const version = process.env.MEDIASOUP_VERSION || '3.8.4';
    expect(result.stdout).toContain(`demo via the local router (mediasoup ${version} (`);
    // Not a terminal: plain progress lines, then the summary table.
    expect(result.stdout).toMatch(
      /^\[ +\d+\.\d s\] \w+ .* msg\/s .* MB\/s +transports \d\/2 +buffered /m,
    );
    expect(row(result.stdout, 'transports')).toMatch(/^2 opened of 2 \(4 producers\)/);
    expect(row(result.stdout, 'lost')).toBe('0');
    expect(row(result.stdout, 'out of order')).toBe('0');
    expect(row(result.stdout, 'latency')).toMatch(/^p50 [\d.]+ m?s, p95 .*, p99 .*, max /);
    expect(row(result.stdout, 'connect time')).toMatch(/^p50 [\d.]+ m?s, p99 /);
    expect(row(result.stdout, 'CPU')).toMatch(/^client [\d.]+ s \(\d+ %\), worker [\d.]+ s/);
    expect(row(result.stdout, 'result')).toBe('OK');
    // The demo's defaults: 20 msg/s per producer, rooms of 4 (here one room of the 2 bots).
    expect(result.stdout).toContain('20 msg/s per producer, 1.5 s, rooms of 4 (run ');
    expect(row(result.stdout, 'consumers')).toBe(
      'rooms of 4: 4 DataConsumers on 2 of 2 recv transports (fan-out 1)',
    );
    expect(row(result.stdout, 'delivery lost')).toBe('0');
    expect(row(result.stdout, 'delivery order')).toBe('0 out of order');
    expect(row(result.stdout, 'e2e latency')).toMatch(/^p50 [\d.]+ m?s, p95 .*, p99 .*, max /);

    const report = readReport(reportDir);
    const s = report.summary;
    expect(s.consumers).toMatchObject({ expected: s.sent.messages, lost: 0, outOfOrder: 0 });
    expect(s.consumers?.received.messages).toBe(s.sent.messages);
    expect(report.command).toBe('demo');
    expect(s.exitCode).toBe(0);
    // The total is what the four producers sent, each of them something (a timed run: how
    // many depends on the timers), all of it received.
    const producers = report.transports.flatMap((t) => t.producers);
    expect(producers.map((p) => p.sent > 0)).toEqual([true, true, true, true]);
    expect(producers.map((p) => p.bytes)).toEqual(producers.map((p) => p.sent * 512));
    expect(s.sent.messages).toBe(producers.reduce((n, p) => n + p.sent, 0));
    expect(s.sent.bytes).toBe(s.sent.messages * 512);
    expect(s.received).toEqual(s.sent);
    expect(s.lost).toBe(0);
    expect(s.outOfOrder).toBe(0);
    expect(s.latencyMs?.count).toBe(s.sent.messages);
    expectPercentilesInOrder(s.latencyMs);
    expect(s.connectMs?.count).toBe(2);
    expectPercentilesInOrder(s.connectMs);
    expect(s.cpu.workerSeconds).toBeGreaterThan(0);
    expect(report.transports).toHaveLength(2);
    for (const t of report.transports) {
      expect(t.status).toBe('closed');
      expect(t.producers).toHaveLength(2);
    }
    // The timeline adds up to the totals.
    expect(report.timeline.reduce((n, r) => n + r.sentMessages, 0)).toBe(s.sent.messages);
    expect(report.timeline.reduce((n, r) => n + (r.receivedMessages ?? 0), 0)).toBe(
      s.received?.messages,
    );
    const svg = readFileSync(join(reportDir, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Throughput');
    expect(svg).toContain('latency');
    // --json writes the same report.
    expect((JSON.parse(readFileSync(jsonPath, 'utf8')) as Report).summary.runId).toBe(s.runId);
  });

  test('a rate limits each producer', async () => {
    const reportDir = join(tmp, 'demo-rate');
    const result = await runCli([
      'demo',
      '-t',
      '2',
      '-r',
      '100',
      '-d',
      '1',
      '--unordered',
      '--report-dir',
      reportDir,
    ]);
    expect(result.code).toBe(0);
    const s = readReport(reportDir).summary;
    // 2 producers × 100 msg/s for at most 1 s (connecting included).
    expect(s.sent.messages).toBeGreaterThan(50);
    expect(s.sent.messages).toBeLessThanOrEqual(202);
    expect(s.lost).toBe(0);
    expect(s.ordered).toBe(false);
  });
});

describe('load --signaling websocket', () => {
  let server: WsSignalingServer;

  beforeAll(async () => {
    server = await startWsSignalingServer();
  });

  afterAll(async () => {
    await server.close();
  });

  test('runs against a WebSocket app server and reports both sides', async () => {
    const reportDir = join(tmp, 'load-ws');
    server.requests.length = 0;
    const result = await runCli([
      'load',
      '--signaling',
      'websocket',
      '--signaling-url',
      server.url,
      '-t',
      '2',
      // Long enough that a transport started 0.15 s in has opened before the run ends on a
      // loaded machine (a shorter run saw it still connecting: aborted 1).
      '-d',
      '3',
      '--ramp-up',
      '0.3',
      '--report-dir',
      reportDir,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(row(result.stdout, 'result')).toBe('OK');
    expect(row(result.stdout, 'lost')).toBe('0');

    const s = readReport(reportDir).summary;
    expect(s.command).toBe('load');
    expect(s.transports).toEqual({ total: 2, opened: 2, failed: 0, aborted: 0 });
    expect(s.sent.messages).toBeGreaterThan(0);
    expect(s.received?.messages).toBe(s.sent.messages);
    expect(s.cpu.workerSeconds).toBeGreaterThan(0);

    const methods = server.requests.map((r) => r.method);
    const signaling = methods.filter((m) => m !== 'workerCpuSeconds' && m !== 'getReceiverStats');
    expect(signaling[0]).toBe('getRouterRtpCapabilities');
    expect(methods.filter((m) => m === 'createWebRtcTransport')).toHaveLength(2);
    expect(methods.filter((m) => m === 'connectWebRtcTransport')).toHaveLength(2);
    expect(methods.filter((m) => m === 'produceData')).toHaveLength(2);
    expect(methods.filter((m) => m === 'closeTransport')).toHaveLength(2);
    expect(server.openTransports.size).toBe(0);
    const produce = server.requests.find((r) => r.method === 'produceData');
    expect(produce?.data.appData).toMatchObject({ mdpRunId: s.runId, transport: 0, producer: 0 });
  });

  test('load --consumers 2 delivers sent × 2 at the consumers and closes every transport', async () => {
    const jsonPath = join(tmp, 'load-consumers.json');
    server.requests.length = 0;
    const result = await runCli([
      'load',
      '--signaling',
      'websocket',
      '--signaling-url',
      server.url,
      '-t',
      '3',
      '-r',
      '50',
      '-d',
      '1',
      '--consumers',
      '2',
      '--no-report',
      '--json',
      jsonPath,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(row(result.stdout, 'delivery lost')).toBe('0');
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as Report;
    const s = report.summary;
    expect(s.consumers).toMatchObject({
      mode: '2 consumers per producer',
      dataConsumers: 6,
      fanOut: 2,
      expected: s.sent.messages * 2,
      received: { messages: s.sent.messages * 2 },
      lost: 0,
      outOfOrder: 0,
    });
    // The timeline (and so the chart) has the consumers' side, second by second.
    const delivered = report.timeline.reduce((sum, r) => sum + (r.deliveredMessages ?? 0), 0);
    expect(delivered).toBe(s.sent.messages * 2);
    const recv = server.requests.filter(
      (r) => r.method === 'createWebRtcTransport' && r.data.direction === 'recv',
    );
    expect(recv).toHaveLength(3);
    // Closed by the CLI (closeTransport), not only by the server when the connection closed.
    const methods = server.requests.map((r) => r.method);
    expect(methods.filter((m) => m === 'closeTransport')).toHaveLength(
      methods.filter((m) => m === 'createWebRtcTransport').length,
    );
    expect(server.openTransports.size).toBe(0);
  });

  test('an adapter without consumeData asked for rooms: exit 2 naming what is missing', async () => {
    const modulePath = join(tmp, 'no-consume.mjs');
    const shipped = join(CLI, '..', 'adapters', 'websocket.js');
    writeFileSync(
      modulePath,
      `import { createRequire } from 'node:module';\n` +
        `const ws = createRequire(import.meta.url)(${JSON.stringify(shipped)});\n` +
        'export default function (context) {\n' +
        '  const { consumeData, closeDataConsumer, ...rest } = ws.createAdapter(context);\n' +
        '  return rest;\n' +
        '}\n',
    );
    const result = await runCli([
      'load',
      '--signaling',
      modulePath,
      '--signaling-url',
      server.url,
      '--room-size',
      '2',
      '--no-report',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error: --consumers and --room-size need a signaling adapter with consumeData()',
    );
  });

  test('loads a user module given by path, with context.url from MDP_SIGNALING_URL', async () => {
    // A CommonJS module that reuses the shipped websocket adapter, as an app's own would,
    // with no env of its own: the URL must come from context.url.
    const modulePath = join(tmp, 'my-adapter.cjs');
    const shipped = join(CLI, '..', 'adapters', 'websocket.js');
    writeFileSync(
      modulePath,
      `const ws = require(${JSON.stringify(shipped)});\n` +
        'module.exports = { createAdapter: ({ url }) => ws.createAdapter({ url, env: {} }) };\n',
    );
    const reportDir = join(tmp, 'load-module');
    const result = await runCli(
      [
        'load',
        '--signaling',
        modulePath,
        '-t',
        '1',
        '-p',
        '2',
        '-d',
        '1',
        '--report-dir',
        reportDir,
      ],
      { env: { MDP_SIGNALING_URL: server.url } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const s = readReport(reportDir).summary;
    expect(s.producers).toEqual({ total: 2, opened: 2 });
    expect(s.received?.messages).toBe(s.sent.messages);
  });

  test('an app that does not report the receiving side gets sender-side figures only', async () => {
    const modulePath = join(tmp, 'sender-only.mjs');
    const shipped = join(CLI, '..', 'adapters', 'websocket.js');
    writeFileSync(
      modulePath,
      `import { createRequire } from 'node:module';\n` +
        `const ws = createRequire(import.meta.url)(${JSON.stringify(shipped)});\n` +
        'export default function (context) {\n' +
        '  const a = ws.createAdapter(context);\n' +
        '  return { getRouterRtpCapabilities: a.getRouterRtpCapabilities, createWebRtcTransport: a.createWebRtcTransport,\n' +
        '    connectWebRtcTransport: a.connectWebRtcTransport, produceData: a.produceData, close: a.close };\n' +
        '}\n',
    );
    const reportDir = join(tmp, 'load-sender-only');
    const result = await runCli([
      'load',
      '--signaling',
      modulePath,
      '--signaling-url',
      server.url,
      '-t',
      '1',
      '-d',
      '1',
      '--report-dir',
      reportDir,
    ]);
    expect(result.code).toBe(0);
    expect(row(result.stdout, 'received')).toMatch(/^n\/a/);
    expect(row(result.stdout, 'latency')).toMatch(/^n\/a/);
    expect(row(result.stdout, 'CPU')).toMatch(/worker n\/a$/);
    const s = readReport(reportDir).summary;
    expect(s.sent.messages).toBeGreaterThan(0);
    expect(s.received).toBeUndefined();
    expect(s.lost).toBeUndefined();
  });

  test('an unreachable app fails with exit 1 and says why', async () => {
    const result = await runCli([
      'load',
      '--signaling',
      'websocket',
      '--signaling-url',
      'ws://127.0.0.1:9',
      '-t',
      '1',
      '-d',
      '1',
      '--no-report',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/could not connect to ws:\/\/127\.0\.0\.1:9/);
    expect(row(result.stdout, 'result')).toMatch(/^FAILED \(exit 1\)/);
  });
});

test('demo --workers 2 spreads the local router over two mediasoup workers and says so', async () => {
  const result = await runCli(['demo', '-t', '4', '-d', '1', '--workers', '2', '--no-report']);

  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(
    /^mediasoup-data-producer demo via the local router \(mediasoup .*, 2 workers\):/m,
  );
  expect(row(result.stdout, 'transports')).toMatch(/^4 opened of 4/);
  expect(row(result.stdout, 'lost')).toBe('0');
});

describe('bad options', () => {
  const cases: [string, string[], RegExp][] = [
    ['zero transports', ['demo', '--transports', '0'], /--transports.*expected an integer from 1/],
    ['a size below the header', ['demo', '--size', '8'], /--size.*from 16/],
    [
      'a size the local router refuses',
      ['demo', '--size', '1MiB'],
      /larger than the local router accepts/,
    ],
    ['a negative rate', ['demo', '--rate', '-5'], /--rate.*expected messages per second/],
    ['zero workers', ['demo', '--workers', '0'], /--workers.*expected an integer from 1 to 64/],
    [
      'workers for an app of your own',
      ['load', '--signaling', 'websocket', '--signaling-url', 'ws://127.0.0.1:9', '--workers', '2'],
      /--workers 2 applies to the local router only/,
    ],
    [
      'a duration of 0',
      ['demo', '--duration', '0'],
      /--duration.*expected a number of seconds > 0/,
    ],
    [
      'a ramp-up as long as the run',
      ['demo', '-d', '1', '--ramp-up', '1'],
      /--ramp-up .* must be less than --duration/,
    ],
    [
      'both partial reliability options',
      ['demo', '--max-retransmits', '1', '--max-packet-life-time', '100'],
      /cannot be used with/,
    ],
    ['an unknown option', ['demo', '--transport', '2'], /unknown option '--transport'/],
    ['load without --signaling', ['load'], /required option '--signaling <module>' not specified/],
    ['a missing adapter module', ['load', '--signaling', './no-such-adapter.js'], /no such file/],
    ['the websocket adapter without a URL', ['load', '--signaling', 'websocket'], /needs a URL/],
  ];

  test.each(cases)('%s: exit 2 before anything connects', async (name, args, message) => {
    const cwd = join(tmp, `bad-${name.replace(/\W+/g, '-')}`);
    mkdirSync(cwd);
    const result = await runCli(args, { cwd, env: { MDP_SIGNALING_URL: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toContain('Summary');
    // Nothing was started or written: it exits at once, with no report folder.
    expect(result.ms).toBeLessThan(10000);
    expect(existsSync(join(cwd, 'reports'))).toBe(false);
  });

  test('a module that is not an adapter: exit 2', async () => {
    const modulePath = join(tmp, 'not-an-adapter.cjs');
    writeFileSync(modulePath, 'module.exports = { hello: 1 };\n');
    const result = await runCli(['load', '--signaling', modulePath]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exports no signaling adapter/);
  });

  test('--help exits 0', async () => {
    const result = await runCli(['load', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--signaling <module>');
    expect(result.stdout).toContain('--max-packet-life-time <ms>');
  });
});

describe('interrupt', () => {
  test('Ctrl-C closes every transport, prints the summary so far and exits 130', async () => {
    const reportDir = join(tmp, 'interrupt');
    let signalled = false;
    const result = await runCli(['demo', '-t', '2', '-d', '60', '--report-dir', reportDir], {
      onStdout: (child, stdout) => {
        // Once it is sending, as a user's Ctrl-C would.
        if (!signalled && /sending .* sent [1-9]/.test(stdout)) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(signalled).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/SIGINT: stopping, closing every transport/);
    expect(row(result.stdout, 'result')).toBe('INTERRUPTED (exit 130)');
    // Well before the 60 s were over, and on its own (no kill needed).
    expect(result.ms).toBeLessThan(30000);
    const report = readReport(reportDir);
    expect(report.summary.outcome).toBe('interrupted');
    expect(report.summary.sent.messages).toBeGreaterThan(0);
    for (const t of report.transports) expect(t.status).toBe('closed');
  });
  test('mediasoup-data-producer load when a second SIGINT comes while closing exits at once with 130', async () => {
    // An app that never answers: the first Ctrl-C cannot finish closing for a long while.
    const app = await startFakeWsServer();
    try {
      let signals = 0;
      const result = await runCli(
        ['load', '--signaling', 'websocket', '--signaling-url', app.url, '-d', '60', '--no-report'],
        {
          onStdout: (child, stdout) => {
            if (signals === 0 && stdout.includes('mediasoup-data-producer load via websocket')) {
              signals = 1;
              child.kill('SIGINT');
            }
          },
          onStderr: (child, stderr) => {
            if (signals === 1 && stderr.includes('SIGINT: stopping')) {
              signals = 2;
              child.kill('SIGINT');
            }
          },
        },
      );
      expect(signals).toBe(2);
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/SIGINT again: exiting at once/);
      // It did not wait for the closing to finish: no summary.
      expect(result.stdout).not.toContain('Summary');
    } finally {
      await app.close();
    }
  });
});

describe('local-router signaling server', () => {
  let server: WsSignalingServer;

  beforeAll(async () => {
    server = await startWsSignalingServer();
  });

  afterAll(async () => {
    await server.close();
  });

  /** One request over a new connection; resolves with the answer's data. */
  async function request(socket: WebSocket, method: string, data: unknown): Promise<unknown> {
    const answer = new Promise<{ ok: boolean; data?: unknown; error?: string }>((resolve) => {
      socket.once('message', (raw) => {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        resolve(JSON.parse(raw.toString()) as { ok: boolean; data?: unknown; error?: string });
      });
    });
    socket.send(JSON.stringify({ id: 1, method, data }));
    const { ok, data: result, error } = await answer;
    if (!ok) throw new Error(`${method} failed: ${error}`);
    return result;
  }

  async function connect(): Promise<WebSocket> {
    const socket = new WebSocket(server.url);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return socket;
  }

  test('startSignalingServer() after load runs end keeps none of their receiver figures', async () => {
    const runIds: string[] = [];
    for (const name of ['forget-1', 'forget-2']) {
      const reportDir = join(tmp, name);
      const result = await runCli([
        ...['load', '--signaling', 'websocket', '--signaling-url', server.url],
        ...['-t', '2', '-d', '1', '--report-dir', reportDir],
      ]);
      expect(result.code).toBe(0);
      const s = readReport(reportDir).summary;
      expect(s.received?.messages).toBe(s.sent.messages);
      runIds.push(s.runId);
    }
    expect(server.keptRuns).toBe(0);
    const socket = await connect();
    try {
      for (const runId of runIds) {
        await expect(request(socket, 'getReceiverStats', { runId })).resolves.toBeNull();
      }
    } finally {
      socket.close();
    }
  });

  test('startSignalingServer() when a connection closes closes the transports it created, and only those', async () => {
    const [leaving, staying] = [await connect(), await connect()];
    try {
      const create = async (socket: WebSocket): Promise<string> =>
        ((await request(socket, 'createWebRtcTransport', {})) as { id: string }).id;
      const left = [await create(leaving), await create(leaving)];
      const kept = await create(staying);
      const closedByClient = await create(leaving);
      await request(leaving, 'closeTransport', { transportId: closedByClient });
      expect(left.every((id) => server.openTransports.has(id))).toBe(true);

      const closed = new Promise((resolve) => leaving.once('close', resolve));
      leaving.close();
      await closed;
      // The server sees the close on its own side of the socket, a moment after this one.
      for (let i = 0; i < 200 && left.some((id) => server.openTransports.has(id)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(left.filter((id) => server.openTransports.has(id))).toEqual([]);
      expect(server.openTransports.has(kept)).toBe(true);
      // Closed on the router too: connecting to it is refused.
      await expect(
        request(staying, 'connectWebRtcTransport', {
          transportId: left[0],
          dtlsParameters: { role: 'client', fingerprints: [] },
        }),
      ).rejects.toThrow(/no transport .* on the local router/);
      await request(staying, 'closeTransport', { transportId: kept });
      expect(server.openTransports.has(kept)).toBe(false);
    } finally {
      staying.close();
    }
  });

  test('startSignalingServer() when the connection that produced a run closes forgets the run', async () => {
    const socket = await connect();
    const { id: transportId } = (await request(socket, 'createWebRtcTransport', {})) as {
      id: string;
    };
    await request(socket, 'produceData', {
      transportId,
      sctpStreamParameters: { streamId: 0, ordered: true },
      label: 'l',
      protocol: 'p',
      appData: { mdpRunId: 'run-of-a-closed-connection' },
    });
    expect(server.keptRuns).toBe(1);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.close();
    await closed;
    // The server sees the close on its own side of the socket, a moment after this one.
    while (server.keptRuns > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.keptRuns).toBe(0);
    const other = await connect();
    try {
      await expect(
        request(other, 'getReceiverStats', { runId: 'run-of-a-closed-connection' }),
      ).resolves.toBeNull();
    } finally {
      other.close();
    }
  });
});

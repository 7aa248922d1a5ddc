// The engine under the real `artillery run` (2.0.21, or the version ARTILLERY_VERSION names:
// scripts/test.sh runs the newest 2.x on Node 24), against the local router behind the
// CLI's JSON-over-WebSocket signaling server, running in this process: the report's counters
// add up (over one worker thread and over two), failing bots are counted without stopping
// the others, and every transport the bots opened is closed on the server at the end.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LocalRouter } from 'mediasoup-local-router';
import { startSignalingServer, type SignalingServer } from 'mediasoup-data-producer-cli/testing';
import {
  checkPrerequisites,
  PACKAGE_DIR,
  runArtillery,
  type ArtilleryRun,
} from '../support/artillery.js';

jest.setTimeout(240_000);

let router: LocalRouter;
let server: SignalingServer;
let received = 0;
/** Signaling requests of the current test, by method. */
let requests = new Map<string, number>();

beforeAll(async () => {
  checkPrerequisites();
  router = await LocalRouter.start({ recordMessages: false });
  router.on('message', () => {
    received++;
  });
  server = await startSignalingServer(router, {
    onRequest: (method) => requests.set(method, (requests.get(method) ?? 0) + 1),
  });
});

afterAll(async () => {
  await server.close();
  await router.close();
});

beforeEach(() => {
  received = 0;
  requests = new Map();
});

/** The example scenario of the README, as shipped. */
const example = readFileSync(join(PACKAGE_DIR, 'examples', 'bots.yml'), 'utf8');
/** Messages each bot of the example sends: 10 numbered, then 3 from the payload template. */
const EXAMPLE_MESSAGES_PER_BOT = 13;
const EXAMPLE_BOTS = 4;
const EXAMPLE_BYTES_PER_BOT = 10 * 256;

/** The room example: rooms of 3 bots, each sending 40 messages to the 2 others. */
const room = readFileSync(join(PACKAGE_DIR, 'examples', 'room.yml'), 'utf8');
const ROOM_BOTS = 6;
const ROOM_SIZE = 3;
const ROOM_MESSAGES_PER_BOT = 40;

/** The same scenario with a function step that counts bots by worker thread. */
function withWorkerCount(scenario: string): string {
  const processor = join(PACKAGE_DIR, 'test', 'support', 'processor.cjs');
  return scenario
    .replace('config:\n', `config:\n  processor: ${JSON.stringify(processor)}\n`)
    .replace('      - connect: {}\n', '      - function: countWorker\n      - connect: {}\n');
}

/**
 * Every transport the bots asked for was closed by the engine through closeTransport (the
 * server would also close a connection's transports when it closes: not what is tested), and
 * none is left open on the server.
 */
async function expectTransportsClosedByTheBots(expectedCreated?: number): Promise<void> {
  for (let i = 0; i < 50 && server.openTransports.size > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const created = requests.get('createWebRtcTransport') ?? 0;
  if (expectedCreated === undefined) expect(created).toBeGreaterThan(0);
  else expect(created).toBe(expectedCreated);
  expect(requests.get('closeTransport') ?? 0).toBe(created);
  expect(server.openTransports.size).toBe(0);
}

function explain(run: ArtilleryRun): string {
  return `exit ${run.code}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`;
}

function counters(run: ArtilleryRun): Record<string, number> {
  if (!run.report) throw new Error(`no report: ${explain(run)}`);
  return run.report.aggregate.counters;
}

describe('artillery run', () => {
  test('artillery run() of the example scenario on one worker counts every bot, message and byte', async () => {
    const run = await runArtillery(example, { env: { MDP_SIGNALING_URL: server.url } });
    const c = counters(run);
    expect({
      code: run.code,
      errors: Object.keys(c).filter((k) => k.startsWith('errors.')),
    }).toEqual({ code: 0, errors: [] });
    expect(c['vusers.completed']).toBe(EXAMPLE_BOTS);
    expect(c['vusers.failed']).toBe(0);
    expect(c['mediasoup_data.transports_opened']).toBe(EXAMPLE_BOTS);
    expect(c['mediasoup_data.transports_failed']).toBeUndefined();
    expect(c['mediasoup_data.producers_opened']).toBe(EXAMPLE_BOTS);
    expect(c['mediasoup_data.messages_sent']).toBe(EXAMPLE_BOTS * EXAMPLE_MESSAGES_PER_BOT);
    // The text payloads' sizes depend on the bot ids: at least the binary bytes, plus some.
    expect(c['mediasoup_data.bytes_sent']).toBeGreaterThan(EXAMPLE_BOTS * EXAMPLE_BYTES_PER_BOT);
    const summaries = run.report?.aggregate.summaries ?? {};
    expect(summaries['mediasoup_data.connect_time']?.count).toBe(EXAMPLE_BOTS);
    expect(summaries['mediasoup_data.buffered_amount']?.count).toBeGreaterThanOrEqual(EXAMPLE_BOTS);
    // Everything sent arrived at the router, and every transport is closed there.
    expect(received).toBe(EXAMPLE_BOTS * EXAMPLE_MESSAGES_PER_BOT);
    await expectTransportsClosedByTheBots();
  });

  test('artillery run() on two worker threads adds up the counters of both', async () => {
    const run = await runArtillery(withWorkerCount(example), {
      workers: 2,
      env: { MDP_SIGNALING_URL: server.url },
    });
    const c = counters(run);
    const workers = Object.keys(c).filter((k) => k.startsWith('test.worker.'));
    expect({ code: run.code, workers: workers.length }).toEqual({ code: 0, workers: 2 });
    expect(workers.reduce((sum, k) => sum + (c[k] ?? 0), 0)).toBe(EXAMPLE_BOTS);
    expect(c['vusers.completed']).toBe(EXAMPLE_BOTS);
    expect(c['mediasoup_data.transports_opened']).toBe(EXAMPLE_BOTS);
    expect(c['mediasoup_data.messages_sent']).toBe(EXAMPLE_BOTS * EXAMPLE_MESSAGES_PER_BOT);
    expect(run.report?.aggregate.summaries['mediasoup_data.connect_time']?.count).toBe(
      EXAMPLE_BOTS,
    );
    expect(received).toBe(EXAMPLE_BOTS * EXAMPLE_MESSAGES_PER_BOT);
    await expectTransportsClosedByTheBots();
  });

  test('artillery run() with bots whose connect times out counts their errors and completes the others', async () => {
    const scenario = `
config:
  target: mediasoup-data
  phases:
    - duration: 2
      arrivalRate: 3
  engines:
    mediasoup-data:
      signaling: websocket
      signalingUrl: ${server.url}
scenarios:
  - name: good
    weight: 1
    engine: mediasoup-data
    flow:
      - connect: {}
      - produceData: {}
      - send: { count: 5, size: 64 }
      - close: {}
  - name: late
    weight: 1
    engine: mediasoup-data
    flow:
      - connect: { timeout: 0.000001 }
      - produceData: {}
      - send: { count: 5, size: 64 }
`;
    const run = await runArtillery(scenario);
    const c = counters(run);
    const good = c['vusers.created_by_name.good'] ?? 0;
    const late = c['vusers.created_by_name.late'] ?? 0;
    expect(good + late).toBe(6);
    expect({
      completed: c['vusers.completed'] ?? 0,
      failed: c['vusers.failed'] ?? 0,
      connectFailed: c['errors.mediasoup_data.connect_failed'] ?? 0,
      transportsFailed: c['mediasoup_data.transports_failed'] ?? 0,
      sent: c['mediasoup_data.messages_sent'] ?? 0,
    }).toEqual({
      completed: good,
      failed: late,
      connectFailed: late,
      transportsFailed: late,
      sent: good * 5,
    });
    expect(received).toBe(good * 5);
    // The good bots closed their transports (the late ones gave up before asking for one;
    // the next test has an app that answers after the timeout). Artillery picks each bot's
    // scenario by weight: none may be good (1 run in 64).
    await expectTransportsClosedByTheBots(good);
  });

  test('artillery run() with an app that answers createWebRtcTransport after the connect timeout closes every late transport on the server', async () => {
    const scenario = `
config:
  target: mediasoup-data
  phases:
    - duration: 1
      arrivalRate: 3
  engines:
    mediasoup-data:
      signaling: ${JSON.stringify(join(PACKAGE_DIR, 'test', 'support', 'slowApp.cjs'))}
      signalingUrl: ${server.url}
scenarios:
  - engine: mediasoup-data
    flow:
      - connect: { timeout: 0.3 }
      - produceData: {}
`;
    const run = await runArtillery(scenario, { env: { SLOW_APP_MS: '1500' } });
    const c = counters(run);
    expect({
      created: c['vusers.created'] ?? 0,
      failed: c['vusers.failed'] ?? 0,
      connectFailed: c['errors.mediasoup_data.connect_failed'] ?? 0,
    }).toEqual({ created: 3, failed: 3, connectFailed: 3 });
    // The report says why, by kind and reason (the timeout folded to N).
    expect(Object.entries(c).filter(([k]) => k.includes('failure_reasons'))).toEqual([
      [
        'mediasoup_data.failure_reasons.connect_failed: connect: createWebRtcTransport was not answered within N ms',
        3,
      ],
    ]);
    // The app made each bot's transport after the bot gave up; the bot closed it.
    expect(requests.get('createWebRtcTransport')).toBe(3);
    await expectTransportsClosedByTheBots();
  });

  test('artillery run() of the room example on two worker threads: every bot receives every other bot of its room', async () => {
    const run = await runArtillery(withWorkerCount(room), {
      workers: 2,
      env: { MDP_SIGNALING_URL: server.url },
    });
    const c = counters(run);
    const workers = Object.keys(c).filter((k) => k.startsWith('test.worker.'));
    expect({
      code: run.code,
      workers: workers.length,
      errors: Object.keys(c).filter((k) => k.startsWith('errors.')),
    }).toEqual({ code: 0, workers: 2, errors: [] });
    const sent = ROOM_BOTS * ROOM_MESSAGES_PER_BOT;
    expect({
      completed: c['vusers.completed'],
      failed: c['vusers.failed'],
      transports: c['mediasoup_data.transports_opened'],
      recvTransports: c['mediasoup_data.recv_transports_opened'],
      consumers: c['mediasoup_data.consumers_opened'],
      sent: c['mediasoup_data.messages_sent'],
      received: c['mediasoup_data.messages_received'],
      bytesReceived: c['mediasoup_data.bytes_received'],
      outOfOrder: c['mediasoup_data.messages_out_of_order'] ?? 0,
      lost: c['mediasoup_data.messages_lost'] ?? 0,
    }).toEqual({
      completed: ROOM_BOTS,
      failed: 0,
      transports: ROOM_BOTS,
      recvTransports: ROOM_BOTS,
      consumers: ROOM_BOTS * (ROOM_SIZE - 1),
      sent,
      received: sent * (ROOM_SIZE - 1),
      bytesReceived: sent * (ROOM_SIZE - 1) * 256,
      outOfOrder: 0,
      lost: 0,
    });
    const latency = run.report?.aggregate.summaries['mediasoup_data.latency'];
    expect(latency?.count).toBe(sent * (ROOM_SIZE - 1));
    // Real latencies: min <= p50 <= p95 <= p99 <= max, the mean within, and not all zero.
    const { min = -1, p50 = -1, p95 = -1, p99 = -1, max = -1, mean = -1 } = latency ?? {};
    expect(min).toBeGreaterThanOrEqual(0);
    expect([p50, p95, p99, max]).toEqual([p50, p95, p99, max].sort((a, b) => a - b));
    expect(min).toBeLessThanOrEqual(p50);
    expect(max).toBeGreaterThan(0);
    expect(mean).toBeGreaterThanOrEqual(min);
    expect(mean).toBeLessThanOrEqual(max);
    // The router got every message once, and the bots closed everything they opened there.
    expect(received).toBe(sent);
    await expectTransportsClosedByTheBots();
    expect(router.listDataProducers()).toEqual([]);
  });
});

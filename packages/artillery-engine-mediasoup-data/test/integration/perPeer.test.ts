// The engine against an app where each participant is its own peer and the app pushes the
// consumers (the strict app of the test suite, in push mode): per-bot signalingUrl
// templates render for each virtual user, and bots that send and then close at once lose
// nothing (20 rooms of 2 on two worker threads).

import { LocalRouter } from 'mediasoup-local-router';
import { startSignalingServer, type SignalingServer } from 'mediasoup-data-producer-cli/testing';
import { startStrictApp, type StrictApp } from '@test-support/strictApp.js';
import { checkPrerequisites, runArtillery } from '../support/artillery.js';

jest.setTimeout(240_000);

let router: LocalRouter;
let server: SignalingServer;
let app: StrictApp;

beforeAll(async () => {
  checkPrerequisites();
  router = await LocalRouter.start({ recordMessages: false });
  server = await startSignalingServer(router);
  app = await startStrictApp(server.url, { push: true });
});

afterAll(async () => {
  await app.close();
  await server.close();
  await router.close();
});

const ROOMS = 20;
const MESSAGES = 300;

function scenario(url: string): string {
  return `
config:
  target: 'mediasoup-data'
  plugins:
    ensure: {}
  ensure:
    conditions:
      - expression: mediasoup_data.messages_lost == 0 and mediasoup_data.consumers_opened == ${2 * ROOMS}
  phases:
    - duration: 2
      arrivalRate: ${ROOMS}
  engines:
    mediasoup-data:
      signaling: websocket
      signalingUrl: '${url}/?peerId={{ $botId }}&roomId={{ $room }}'
      roomSize: 2
scenarios:
  - engine: mediasoup-data
    flow:
      - connect: {}
      - produceData: { label: chat, protocol: json }
      - consumeData: {}
      - send: { count: ${MESSAGES}, size: 100 }
      - waitForMessages: { count: ${MESSAGES}, timeout: 30 }
      - close: {}
`;
}

test("artillery run() of 20 rooms of 2 on two workers against a per-peer app that pushes consumers: each bot its own peer, every message delivered though each bot closes as soon as it has its peer's", async () => {
  const run = await runArtillery(scenario(app.url), { workers: 2, timeoutMs: 180_000 });
  const counters = run.report?.aggregate.counters ?? {};

  if (process.env.SHOW_RUN) console.log(run.stdout, run.stderr, counters);
  expect(run.code).toBe(0);
  expect(app.refusals).toEqual([]);
  expect(new Set(app.joins).size).toBe(2 * ROOMS);
  expect(app.pushed).toBe(2 * ROOMS);
  expect(Object.keys(counters).filter((k) => k.startsWith('errors.'))).toEqual([]);
  expect(counters['mediasoup_data.consumers_opened']).toBe(2 * ROOMS);
  expect(counters['mediasoup_data.messages_received']).toBe(2 * ROOMS * MESSAGES);
  expect(counters['mediasoup_data.messages_lost']).toBe(0);
  expect(run.stdout).toMatch(/ok: mediasoup_data\.messages_lost == 0/);
});

test('artillery run() of rooms of 3 that send as soon as consumeData completes: no bot sends before the consumers of its room are open, so no late consumer fails or loses', async () => {
  const run = await runArtillery(
    `
config:
  target: 'mediasoup-data'
  phases:
    - duration: 1
      arrivalRate: 6
  engines:
    mediasoup-data:
      signaling: websocket
      signalingUrl: '${server.url}'
      roomSize: 3
scenarios:
  - engine: mediasoup-data
    flow:
      - connect: {}
      - produceData: { label: chat }
      - consumeData: {}
      - send: { count: 300, size: 64 }
      - waitForMessages: { count: 300, timeout: 30 }
      - close: {}
`,
    { timeoutMs: 180_000 },
  );
  const counters = run.report?.aggregate.counters ?? {};
  if (process.env.SHOW_RUN) console.log(counters);

  expect(Object.keys(counters).filter((k) => k.startsWith('errors.'))).toEqual([]);
  expect(run.code).toBe(0);
  expect(counters['mediasoup_data.consumers_opened']).toBe(12);
  expect(counters['mediasoup_data.messages_lost']).toBe(0);
  // Every consumer was open before its producer sent: each got all 300.
  expect(counters['mediasoup_data.messages_received']).toBe(12 * 300);
  expect(counters['mediasoup_data.messages_before_open']).toBeUndefined();
});

// `load` against an app where each participant is its own peer (the strict app of the test
// suite: one WebSocket, peerId and join per participant, a second peer with the same id
// refused), through the built-in adapter's per-bot URL template.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Report } from '../../src/report.js';
import { startStrictApp, type StrictApp } from '@test-support/strictApp.js';
import { assertBuilt, runCli } from '../support/runCli.js';
import { startWsSignalingServer, type WsSignalingServer } from '../support/wsSignalingServer.js';

let server: WsSignalingServer;
let app: StrictApp;
let pushingApp: StrictApp;
let tmp: string;

beforeAll(async () => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'mdp-per-peer-'));
  server = await startWsSignalingServer();
  app = await startStrictApp(server.url);
  pushingApp = await startStrictApp(server.url, { push: true });
});

afterAll(async () => {
  await pushingApp.close();
  await app.close();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('load --room-size 2 --label --protocol --app-data with a per-bot URL template makes each bot its own peer of the strict app, with those producers, and delivers everything', async () => {
  const jsonPath = join(tmp, 'per-peer.json');
  const result = await runCli([
    'load',
    '--signaling',
    'websocket',
    '--signaling-url',
    `${app.url}/?peerId={{ $botId }}&roomId={{ $room }}`,
    '-t',
    '4',
    '-r',
    '20',
    '-d',
    '1',
    '--room-size',
    '2',
    '--label',
    'chat',
    '--protocol',
    'json',
    '--app-data',
    '{"kind":"bot"}',
    '--no-report',
    '--json',
    jsonPath,
  ]);

  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(app.refusals).toEqual([]);
  expect(app.joins).toHaveLength(4);
  expect(new Set(app.joins).size).toBe(4);
  const s = (JSON.parse(readFileSync(jsonPath, 'utf8')) as Report).summary;
  expect(s.consumers).toMatchObject({
    dataConsumers: 4,
    lost: 0,
    expected: s.sent.messages,
  });
  // The report says how it decided what each consumer should get.
  expect(s.consumers?.counting).toContain('the producers started once every DataConsumer was open');
  expect(s.sent.messages).toBeGreaterThanOrEqual(4 * 10);
  const produced = server.requests.filter((r) => r.method === 'produceData').map((r) => r.data);
  expect(produced).toHaveLength(4);
  for (const data of produced) {
    expect(data).toMatchObject({ label: 'chat', protocol: 'json', appData: { kind: 'bot' } });
  }
});

test('load --app-data that is not a JSON object exits 2 before anything connects', async () => {
  const result = await runCli([
    'load',
    '--signaling',
    'websocket',
    '--signaling-url',
    app.url,
    '--app-data',
    '[1]',
  ]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--app-data: expected a JSON object, got [1]');
});

test('load --room-size 2 through an adapter without consumeData() consumes what the app pushes, and delivers everything', async () => {
  const jsonPath = join(tmp, 'pushed.json');
  const result = await runCli([
    'load',
    '--signaling',
    join(__dirname, '..', 'support', 'pushOnlyAdapter.mjs'),
    '--signaling-url',
    `${pushingApp.url}/?peerId={{ $botId }}&roomId={{ $room }}`,
    ...['-t', '4', '-r', '20', '-d', '1', '--room-size', '2', '--no-report', '--json', jsonPath],
  ]);

  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(pushingApp.refusals).toEqual([]);
  // Each bot got its room's other producer pushed (its adapter cannot ask for one).
  expect(pushingApp.pushed).toBe(4);
  const s = (JSON.parse(readFileSync(jsonPath, 'utf8')) as Report).summary;
  expect(s.consumers).toMatchObject({ dataConsumers: 4, lost: 0, expected: s.sent.messages });
  expect(s.sent.messages).toBeGreaterThanOrEqual(4 * 10);
});

// The library never closes what it did not create: node-datachannel objects that the app made
// for itself keep working after the library's last transport closed.
import { spawn } from 'node:child_process';
import path from 'node:path';

import { openRawPeer, type RawPeer } from '@test-support/rawPeer.js';
import {
  createTransport,
  openProducer,
  sleep,
  useSessionPerFile,
  type Session,
} from '@test-support/session.js';

const ROOT = path.join(__dirname, '..', '..');
const REPO_ROOT = path.join(ROOT, '..', '..');

// One real router for the file; each test's transports are closed after it.
let session!: Session;
let appPeer: RawPeer | undefined;
useSessionPerFile((started) => (session = started));

afterEach(() => {
  appPeer?.close();
  appPeer = undefined;
});

test("transport.close() of the library's last transport leaves the app's own node-datachannel peer connected and sending", async () => {
  appPeer = await openRawPeer(session.router, 'app-owned');
  const transport = await createTransport(session);
  const dataProducer = await openProducer(transport);
  dataProducer.send('ours');
  await session.router.waitForMessages(1, { dataProducerId: dataProducer.id });

  transport.close();
  // Long enough for anything that close() set off natively to have happened.
  await sleep(500);
  appPeer.dc.sendMessage('still here');
  const [message] = await session.router.waitForMessages(1, {
    dataProducerId: appPeer.dataProducerId,
  });

  expect(message?.data.toString()).toBe('still here');
  expect(appPeer.dc.isOpen()).toBe(true);
  expect(appPeer.pc.state()).toBe('connected');
});

test("a script whose app-owned node-datachannel peer outlives the library's transports exits on its own once it closed everything", async () => {
  const fixture = path.join(ROOT, 'test', 'fixtures', 'app-peer-and-exit.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('close', (exitCode, exitSignal) => {
      resolve([exitCode, exitSignal]);
    });
  });
  clearTimeout(killer);

  expect(stderr).toBe('');
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(stdout).toContain('ours delivered: from the library');
  expect(stdout).toContain('app peer delivered after our close: from the app');
  expect(stdout).toContain('closed everything');
}, 30000);

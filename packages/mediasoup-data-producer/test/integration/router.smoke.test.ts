import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LocalRouter, mediasoupPackageDir } from 'mediasoup-local-router';
import { openRawPeer, type RawPeer } from '@test-support/rawPeer.js';

describe('local router', () => {
  let router: LocalRouter;
  let peer: RawPeer | undefined;

  beforeEach(async () => {
    router = await LocalRouter.start();
  });

  afterEach(async () => {
    peer?.close();
    peer = undefined;
    await router.close();
  });

  test('local router receives a string and a binary message from a raw node-datachannel peer with PPIDs 51 and 53', async () => {
    peer = await openRawPeer(router);
    peer.dc.sendMessage('hello router');
    peer.dc.sendMessageBinary(Buffer.from([1, 2, 3, 250]));

    const [text, binary] = await router.waitForMessages(2, { dataProducerId: peer.dataProducerId });

    expect(text?.ppid).toBe(51);
    expect(text?.data.toString('utf8')).toBe('hello router');
    expect(binary?.ppid).toBe(53);
    expect([...(binary?.data ?? [])]).toEqual([1, 2, 3, 250]);
    expect(binary?.receivedAt).toBeGreaterThanOrEqual(text?.receivedAt ?? Infinity);
  });

  test('local router createWebRtcTransport() gives ICE-lite UDP candidates on 127.0.0.1 and SCTP parameters', async () => {
    const params = await router.createWebRtcTransport();

    expect(params.iceParameters.iceLite).toBe(true);
    expect(params.iceCandidates.length).toBeGreaterThan(0);
    expect(params.iceCandidates.every((c) => c.ip === '127.0.0.1' && c.protocol === 'udp')).toBe(
      true,
    );
    expect(params.sctpParameters?.port).toBe(5000);
    expect(params.dtlsParameters.fingerprints.some((f) => f.algorithm === 'sha-256')).toBe(true);
  });
});

describe('local router overrides', () => {
  const startInChild = (env: NodeJS.ProcessEnv): { status: number | null; output: string } => {
    const script = `
      const { LocalRouter } = require('mediasoup-local-router');
      LocalRouter.start().then(async (router) => {
        console.log('started mediasoup ' + router.mediasoupVersion + ' pid ' + router.workerPid);
        await router.close();
      }, (error) => { console.log('failed: ' + error.message); process.exitCode = 3; });`;
    const result = spawnSync(process.execPath, ['-e', script], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 20000,
    });
    return { status: result.status, output: result.stdout + result.stderr };
  };

  test('LocalRouter.start() with MEDIASOUP_WORKER_BIN runs that worker binary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdp-worker-'));
    try {
      const copy = join(dir, 'my-worker');
      copyFileSync(
        join(mediasoupPackageDir(), 'worker', 'out', 'Release', 'mediasoup-worker'),
        copy,
      );
      chmodSync(copy, 0o755);
      const broken = join(dir, 'broken-worker');
      writeFileSync(broken, '#!/bin/sh\nexit 42\n');
      chmodSync(broken, 0o755);

      expect(startInChild({ MEDIASOUP_WORKER_BIN: copy })).toMatchObject({ status: 0 });
      const withBroken = startInChild({ MEDIASOUP_WORKER_BIN: broken });
      expect(withBroken.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('LocalRouter.start() with MEDIASOUP_PATH loads that mediasoup package', () => {
    expect(startInChild({ MEDIASOUP_PATH: mediasoupPackageDir() })).toMatchObject({ status: 0 });
    const missing = startInChild({ MEDIASOUP_PATH: join(tmpdir(), 'no-mediasoup-here') });
    expect(missing.status).toBe(3);
    expect(missing.output).toMatch(/no mediasoup package at .*no-mediasoup-here/);
  });
});

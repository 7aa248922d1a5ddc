import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', '..', 'scripts', 'setup-router.sh');

function runSetup(env: NodeJS.ProcessEnv): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync('bash', [script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-setup-'));
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('setup-router.sh run again uses the cached worker and builds nothing', () => {
  const result = runSetup({});

  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/mediasoup 3\.8\.4 ready \(cached in /);
  expect(result.stdout).not.toMatch(/building/);
});

test('setup-router.sh when npm cannot install says why in one line and where the log is', () => {
  const fakeBin = join(scratch, 'bin');
  const fakeNpm = join(fakeBin, 'npm');
  spawnSync('mkdir', ['-p', fakeBin]);
  writeFileSync(fakeNpm, '#!/bin/sh\necho "npm ERR! network unreachable" >&2\nexit 1\n');
  chmodSync(fakeNpm, 0o755);

  const result = runSetup({
    MEDIASOUP_DATA_PRODUCER_CACHE: join(scratch, 'cache'),
    PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
  });

  expect(result.status).toBe(1);
  const failure = result.stderr.trim().split('\n');
  expect(failure).toHaveLength(1);
  expect(failure[0]).toMatch(
    /FAILED: npm install mediasoup@3\.8\.4 failed \(full log: .*build\.log\)/,
  );
});

test('setup-router.sh with a MEDIASOUP_WORKER_BIN that is not executable fails clearly', () => {
  const result = runSetup({ MEDIASOUP_WORKER_BIN: join(scratch, 'no-such-worker') });

  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/MEDIASOUP_WORKER_BIN=.*no-such-worker is not an executable file/);
});

test('setup-router.sh with MEDIASOUP_PATH at a mediasoup package builds nothing', () => {
  writeFileSync(join(scratch, 'package.json'), '{"name":"mediasoup","version":"3.99.0"}');

  const result = runSetup({ MEDIASOUP_PATH: scratch });

  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/using the mediasoup package at .* nothing to build/);
});

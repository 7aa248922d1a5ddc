// scripts/setup-router.sh: which mediasoup it sets up, and its one-line failures. The tests
// that need a mediasoup 3.27.1 worker run when one is at hand (as in CI: ../shared).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cachedMediasoupDir } from '../../src/loadMediasoup.js';

const PACKAGE_DIR = join(__dirname, '..', '..');
const ROOT = join(PACKAGE_DIR, '..', '..');
const script = join(ROOT, 'scripts', 'setup-router.sh');
/** The router version this run of the suite is against (scripts/test.sh sets it). */
const VERSION = process.env.MEDIASOUP_VERSION || '3.8.4';
const SHARED_WORKER =
  process.env.MEDIASOUP_TEST_WORKER_BIN ||
  join(ROOT, '..', 'shared', 'mediasoup-worker', '3.27.1', 'mediasoup-worker');
const workerOf = (version: string): string =>
  join(cachedMediasoupDir(version), 'worker', 'out', 'Release', 'mediasoup-worker');
const bothCached = existsSync(workerOf('3.8.4')) && existsSync(workerOf('3.27.1'));
// The fresh 3.27.1 install is the same in every run of the matrix: once is enough.
const inDefaultRun = !process.env.MEDIASOUP_VERSION;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runSetup(env: NodeJS.ProcessEnv, cwd = ROOT, timeout = 60000): Result {
  const base: NodeJS.ProcessEnv = { ...process.env };
  // Each test says which router it wants.
  delete base.MEDIASOUP_VERSION;
  delete base.MEDIASOUP_PATH;
  delete base.MEDIASOUP_WORKER_BIN;
  const result = spawnSync('bash', [script], {
    cwd,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function failureLine(result: Result): string {
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-setup-'));
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test(`setup-router.sh run again for mediasoup ${VERSION} uses the cache and installs or builds nothing`, () => {
  const result = runSetup({ MEDIASOUP_VERSION: VERSION });

  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(
    new RegExp(`mediasoup ${VERSION.replace(/\./g, '\\.')} ready \\(cached in `),
  );
  expect(result.stdout).not.toMatch(/building|installing/);
});

test.each(['3.8.4', '3.27.1'])(
  'setup-router.sh for mediasoup %s when npm cannot install says why in one line and where the log is',
  (version) => {
    const fakeBin = join(scratch, 'bin');
    mkdirSync(fakeBin);
    writeFileSync(
      join(fakeBin, 'npm'),
      '#!/bin/sh\necho "npm ERR! network unreachable" >&2\nexit 1\n',
    );
    chmodSync(join(fakeBin, 'npm'), 0o755);

    const result = runSetup({
      MEDIASOUP_VERSION: version,
      MEDIASOUP_DATA_PRODUCER_CACHE: join(scratch, 'cache'),
      PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
    });

    expect(failureLine(result)).toMatch(
      new RegExp(
        `FAILED: npm install mediasoup@${version.replace(/\./g, '\\.')} failed \\(full log: .*mediasoup-${version.replace(/\./g, '\\.')}/build\\.log\\)$`,
      ),
    );
  },
);

test('setup-router.sh with a MEDIASOUP_WORKER_BIN that is not executable fails in one line', () => {
  const result = runSetup({ MEDIASOUP_WORKER_BIN: join(scratch, 'no-such-worker') });

  expect(failureLine(result)).toMatch(
    /^\[setup-router\] FAILED: MEDIASOUP_WORKER_BIN=.*no-such-worker is not an executable file$/,
  );
});

test('setup-router.sh with a MEDIASOUP_VERSION that is no version fails in one line saying what is expected', () => {
  const result = runSetup({ MEDIASOUP_VERSION: 'latest' });

  expect(failureLine(result)).toBe(
    '[setup-router] FAILED: MEDIASOUP_VERSION=latest is not a mediasoup version: expected 3.<minor>.<patch>, such as 3.8.4 or 3.27.1',
  );
});

test(`setup-router.sh with MEDIASOUP_PATH at mediasoup ${VERSION} checks its worker and installs nothing`, () => {
  const result = runSetup({ MEDIASOUP_PATH: cachedMediasoupDir(VERSION) });

  expect(result).toMatchObject({ status: 0, stderr: '' });
  expect(result.stdout).toMatch(
    new RegExp(
      `using mediasoup ${VERSION.replace(/\./g, '\\.')} at .*mediasoup-${VERSION.replace(/\./g, '\\.')}/node_modules/mediasoup \\(MEDIASOUP_PATH\\); nothing to install or build`,
    ),
  );
});

test('setup-router.sh with MEDIASOUP_PATH at a mediasoup package without a worker fails in one line', () => {
  writeFileSync(join(scratch, 'package.json'), '{"name":"mediasoup","version":"3.99.0"}');

  const result = runSetup({ MEDIASOUP_PATH: scratch });

  expect(failureLine(result)).toMatch(
    /^\[setup-router\] FAILED: no mediasoup-worker at .*\/worker\/out\/Release\/mediasoup-worker: run "npm run setup:router" first \(or set MEDIASOUP_WORKER_BIN to a mediasoup 3\.99\.0 worker\)$/,
  );
});

describe("the project's own mediasoup", () => {
  // An app with mediasoup in its node_modules, run from a folder inside it.
  let app: string;
  beforeEach(() => {
    app = join(scratch, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    mkdirSync(join(app, 'src', 'deep'), { recursive: true });
    symlinkSync(cachedMediasoupDir(VERSION), join(app, 'node_modules', 'mediasoup'));
  });

  test(`setup-router.sh run inside a project with mediasoup ${VERSION} installed uses that one and says so`, () => {
    const from = join(app, 'src', 'deep');
    const result = runSetup({}, from);

    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout.trim()).toBe(
      `[setup-router] using mediasoup ${VERSION} at ${app}/node_modules/mediasoup ` +
        `(your project's node_modules, found from ${from}; set MEDIASOUP_VERSION to use the cache instead); nothing to install or build`,
    );
  });

  test('setup-router.sh run inside such a project with MEDIASOUP_VERSION uses the cache instead', () => {
    const result = runSetup({ MEDIASOUP_VERSION: VERSION }, app);

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ready \(cached in /);
    expect(result.stdout).not.toMatch(/your project/);
  });
});

(bothCached ? describe : describe.skip)('worker and package of different versions', () => {
  // 3.27.1 and 3.32.2, close versions, when 3.32.2 is cached too.
  const close: string[][] = existsSync(workerOf('3.32.2'))
    ? [
        ['3.27.1', '3.32.2'],
        ['3.32.2', '3.27.1'],
      ]
    : [];
  test.each([['3.8.4', '3.27.1'], ['3.27.1', '3.8.4'], ...close])(
    'setup-router.sh for mediasoup %s with MEDIASOUP_WORKER_BIN at a %s worker fails in one line naming both versions',
    (packageVersion, workerVersion) => {
      const worker = workerOf(workerVersion);

      const result = runSetup({ MEDIASOUP_VERSION: packageVersion, MEDIASOUP_WORKER_BIN: worker });

      expect(failureLine(result)).toBe(
        `[setup-router] FAILED: MEDIASOUP_WORKER_BIN=${worker} is not a mediasoup ${packageVersion} worker ` +
          `(it is mediasoup ${workerVersion}'s): a worker and its JS package ` +
          `(${cachedMediasoupDir(packageVersion)}) must be the same version`,
      );
    },
  );
});

(existsSync(SHARED_WORKER) && inDefaultRun ? test : test.skip)(
  'setup-router.sh with MEDIASOUP_VERSION=3.27.1 and MEDIASOUP_WORKER_BIN installs mediasoup@3.27.1 offline, copies the worker into the cache, and LocalRouter then runs it without the variable',
  () => {
    const cache = join(scratch, 'cache');
    const setup = runSetup(
      {
        MEDIASOUP_VERSION: '3.27.1',
        MEDIASOUP_WORKER_BIN: SHARED_WORKER,
        MEDIASOUP_DATA_PRODUCER_CACHE: cache,
      },
      ROOT,
      150000,
    );

    expect(setup).toMatchObject({ status: 0, stderr: '' });
    const pkg = join(cache, 'mediasoup-3.27.1', 'node_modules', 'mediasoup');
    const worker = join(pkg, 'worker', 'out', 'Release', 'mediasoup-worker');
    expect(setup.stdout.trim().split('\n')).toEqual([
      `[setup-router] installing mediasoup@3.27.1 from the npm registry into ${cache}/mediasoup-3.27.1 (its postinstall skips the worker: MEDIASOUP_WORKER_BIN is set)`,
      `[setup-router] copied MEDIASOUP_WORKER_BIN=${SHARED_WORKER} to ${worker}: later runs need no MEDIASOUP_WORKER_BIN`,
      `[setup-router] mediasoup 3.27.1 ready (cached in ${cache}/mediasoup-3.27.1; worker MEDIASOUP_WORKER_BIN=${SHARED_WORKER}); nothing built`,
    ]);
    // Nothing was downloaded (there is no network to download from here, nor in CI).
    expect(existsSync(join(pkg, 'worker', 'prebuild'))).toBe(false);
    expect(readFileSync(worker).equals(readFileSync(SHARED_WORKER))).toBe(true);
    expect(statSync(worker).mode & 0o111).toBe(0o111);

    const script = `
      const { LocalRouter } = require(${JSON.stringify(join(PACKAGE_DIR, 'dist', 'cjs', 'index.js'))});
      LocalRouter.start().then(async (router) => {
        const params = await router.createWebRtcTransport();
        console.log(JSON.stringify({ description: router.mediasoupDescription, origin: router.mediasoupOrigin, sctp: Object.keys(params.sctpParameters).sort() }));
        await router.close();
      }, (error) => { console.log('failed: ' + error.message); process.exitCode = 3; });`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MEDIASOUP_VERSION: '3.27.1',
      MEDIASOUP_DATA_PRODUCER_CACHE: cache,
    };
    delete env.MEDIASOUP_WORKER_BIN;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 30000,
    });

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const report = JSON.parse(run.stdout) as {
      description: string;
      origin: { workerBin: string; workerFrom: string };
      sctp: string[];
    };
    expect(report.description).toBe(`mediasoup 3.27.1 (MEDIASOUP_VERSION=3.27.1) at ${pkg}`);
    expect(report.origin).toMatchObject({ workerBin: worker, workerFrom: 'package' });
    expect(report.sctp).toEqual(
      expect.arrayContaining(['maxReceiveMessageSize', 'maxSendMessageSize']),
    );

    // Set up again: the cache is complete, nothing is installed.
    const again = runSetup({ MEDIASOUP_VERSION: '3.27.1', MEDIASOUP_DATA_PRODUCER_CACHE: cache });
    expect(again.stdout.trim()).toBe(
      `[setup-router] mediasoup 3.27.1 ready (cached in ${cache}/mediasoup-3.27.1; worker copied from ${SHARED_WORKER})`,
    );
  },
  180000,
);

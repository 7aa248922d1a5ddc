// Which mediasoup LocalRouter.start() runs (MEDIASOUP_VERSION, the project's own, the
// default) and its refusal of a worker of another version. Each start runs in a child node
// process against the built package: mediasoup reads MEDIASOUP_WORKER_BIN from the
// environment, and the project lookup starts from the working directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cachedMediasoupDir } from '../../src/loadMediasoup.js';

const PACKAGE_DIR = join(__dirname, '..', '..');
const ROOT = join(PACKAGE_DIR, '..', '..');
const LOCAL_ROUTER = join(PACKAGE_DIR, 'dist', 'cjs', 'index.js');
/** The router version this run of the suite is against (scripts/test.sh sets it). */
const VERSION = process.env.MEDIASOUP_VERSION || '3.8.4';
const workerOf = (version: string): string =>
  join(cachedMediasoupDir(version), 'worker', 'out', 'Release', 'mediasoup-worker');
/** Every pair of different router versions whose workers are both cached. */
const mismatchedPairs = ['3.8.4', '3.27.1', '3.32.2']
  .filter((version) => existsSync(workerOf(version)))
  .flatMap((pkg, _, cached) =>
    cached.filter((worker) => worker !== pkg).map((worker) => [pkg, worker]),
  );

interface Started {
  version: string;
  source: string;
  dir: string;
  workerBin: string;
  description: string;
}

/** Starts a LocalRouter in a child process; its report, or the error message it failed with. */
function start(env: NodeJS.ProcessEnv, cwd = ROOT): Started | { error: string } {
  const script = `
    const { LocalRouter } = require(${JSON.stringify(LOCAL_ROUTER)});
    LocalRouter.start().then(async (router) => {
      const { dir, source, workerBin } = router.mediasoupOrigin;
      console.log(JSON.stringify({ version: router.mediasoupVersion, source, dir, workerBin, description: router.mediasoupDescription }));
      await router.close();
    }, (error) => { console.log(JSON.stringify({ error: error.message })); });`;
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.MEDIASOUP_VERSION;
  delete base.MEDIASOUP_PATH;
  delete base.MEDIASOUP_WORKER_BIN;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(result.stdout) as Started | { error: string };
}

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-versions-'));
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('LocalRouter.start() without MEDIASOUP_VERSION runs mediasoup 3.8.4 from the cache and says so', () => {
  expect(start({})).toEqual({
    version: '3.8.4',
    source: 'default',
    dir: cachedMediasoupDir('3.8.4'),
    workerBin: workerOf('3.8.4'),
    description: `mediasoup 3.8.4 (the default) at ${cachedMediasoupDir('3.8.4')}`,
  });
});

test(`LocalRouter.start() with MEDIASOUP_VERSION=${VERSION} runs that version from the cache`, () => {
  expect(start({ MEDIASOUP_VERSION: VERSION })).toEqual({
    version: VERSION,
    source: 'MEDIASOUP_VERSION',
    dir: cachedMediasoupDir(VERSION),
    workerBin: workerOf(VERSION),
    description: `mediasoup ${VERSION} (MEDIASOUP_VERSION=${VERSION}) at ${cachedMediasoupDir(VERSION)}`,
  });
});

test('LocalRouter.start() with MEDIASOUP_VERSION of a version not set up rejects saying which command sets it up', () => {
  const result = start({ MEDIASOUP_VERSION: '3.0.0' });

  expect(result).toEqual({
    error:
      `no mediasoup package at ${cachedMediasoupDir('3.0.0')} (MEDIASOUP_VERSION=3.0.0): ` +
      'run "MEDIASOUP_VERSION=3.0.0 npm run setup:router" first (or set MEDIASOUP_PATH to your own mediasoup installation)',
  });
});

describe("the project's own mediasoup", () => {
  let app: string;
  beforeEach(() => {
    app = join(scratch, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    mkdirSync(join(app, 'test'), { recursive: true });
    symlinkSync(cachedMediasoupDir(VERSION), join(app, 'node_modules', 'mediasoup'));
  });

  test(`LocalRouter.start() run inside a project with mediasoup ${VERSION} installed runs that one, its version and its worker`, () => {
    const dir = join(app, 'node_modules', 'mediasoup');

    expect(start({}, join(app, 'test'))).toEqual({
      version: VERSION,
      source: 'project',
      dir,
      workerBin: join(dir, 'worker', 'out', 'Release', 'mediasoup-worker'),
      description: `mediasoup ${VERSION} (the project's own node_modules) at ${dir}`,
    });
  });

  test('LocalRouter.start() run inside such a project with MEDIASOUP_PATH or MEDIASOUP_VERSION runs the one they name', () => {
    const other = VERSION === '3.8.4' ? '3.27.1' : '3.8.4';
    const versions = existsSync(workerOf(other)) ? [VERSION, other] : [VERSION];
    for (const version of versions) {
      expect(start({ MEDIASOUP_VERSION: version }, app)).toMatchObject({
        version,
        source: 'MEDIASOUP_VERSION',
      });
      expect(start({ MEDIASOUP_PATH: cachedMediasoupDir(version) }, app)).toMatchObject({
        version,
        source: 'MEDIASOUP_PATH',
        dir: cachedMediasoupDir(version),
      });
    }
  });
});

// 3.27.1 and 3.32.2 share most worker messages: told apart by comparing with each other.
(mismatchedPairs.length > 0 ? test.each : test.skip.each)(
  mismatchedPairs.length > 0 ? mismatchedPairs : [['3.8.4', '3.27.1']],
)(
  'LocalRouter.start() of mediasoup %s with MEDIASOUP_WORKER_BIN at a %s worker rejects with one line naming both versions',
  (packageVersion, workerVersion) => {
    const worker = workerOf(workerVersion);

    const result = start({ MEDIASOUP_VERSION: packageVersion, MEDIASOUP_WORKER_BIN: worker });

    expect(result).toEqual({
      error:
        `MEDIASOUP_WORKER_BIN=${worker} is not a mediasoup ${packageVersion} worker ` +
        `(it is mediasoup ${workerVersion}'s): a worker and its JS package ` +
        `(${cachedMediasoupDir(packageVersion)}) must be the same version`,
    });
  },
);

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  checkMediasoupPackage,
  locateMediasoup,
  mediasoupPackageDir,
  projectMediasoupDir,
  versionAtLeast,
} from '../../src/loadMediasoup.js';

const CACHE = join(homedir(), '.cache', 'mediasoup-data-producer');
const DEFAULT = join(CACHE, 'mediasoup-3.8.4', 'node_modules', 'mediasoup');

let scratch: string;
/** A working directory with no mediasoup in it or above it. */
let plain: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-locate-'));
  plain = join(scratch, 'plain');
  mkdirSync(plain);
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A project with mediasoup (a package.json is all the lookup needs) in its node_modules. */
function project(version = '3.27.1'): string {
  const app = join(scratch, 'app');
  mkdirSync(join(app, 'node_modules', 'mediasoup'), { recursive: true });
  mkdirSync(join(app, 'src', 'deep'), { recursive: true });
  writeFileSync(
    join(app, 'node_modules', 'mediasoup', 'package.json'),
    JSON.stringify({ name: 'mediasoup', version }),
  );
  return app;
}

test('mediasoupPackageDir() without variables is the set-up script default cache of 3.8.4', () => {
  expect(mediasoupPackageDir({}, plain)).toBe(DEFAULT);
  expect(locateMediasoup({}, plain)).toEqual({
    dir: DEFAULT,
    source: 'default',
    requestedVersion: '3.8.4',
  });
});

test('mediasoupPackageDir() with empty variables treats them as unset, as setup-router.sh does', () => {
  expect(
    mediasoupPackageDir(
      { MEDIASOUP_PATH: '', MEDIASOUP_VERSION: '', MEDIASOUP_DATA_PRODUCER_CACHE: '' },
      plain,
    ),
  ).toBe(DEFAULT);
});

test('mediasoupPackageDir() with MEDIASOUP_DATA_PRODUCER_CACHE uses that cache folder', () => {
  expect(mediasoupPackageDir({ MEDIASOUP_DATA_PRODUCER_CACHE: '/tmp/c' }, plain)).toBe(
    '/tmp/c/mediasoup-3.8.4/node_modules/mediasoup',
  );
});

test('mediasoupPackageDir() with MEDIASOUP_VERSION uses the cache folder of that version', () => {
  expect(locateMediasoup({ MEDIASOUP_VERSION: '3.27.1' }, plain)).toEqual({
    dir: join(CACHE, 'mediasoup-3.27.1', 'node_modules', 'mediasoup'),
    source: 'MEDIASOUP_VERSION',
    requestedVersion: '3.27.1',
  });
  expect(
    mediasoupPackageDir(
      { MEDIASOUP_VERSION: '3.27.1', MEDIASOUP_DATA_PRODUCER_CACHE: '/c' },
      plain,
    ),
  ).toBe('/c/mediasoup-3.27.1/node_modules/mediasoup');
});

test.each(['latest', '3.27', '2.6.0', '3.27.1-beta', ' 3.27.1'])(
  'mediasoupPackageDir() with MEDIASOUP_VERSION=%p throws saying what a version looks like',
  (version) => {
    expect(() => mediasoupPackageDir({ MEDIASOUP_VERSION: version }, plain)).toThrow(
      `MEDIASOUP_VERSION=${version} is not a mediasoup version: expected 3.<minor>.<patch>, such as 3.8.4 or 3.27.1`,
    );
  },
);

test('mediasoupPackageDir() with MEDIASOUP_PATH resolves it and ignores the cache and the project', () => {
  const app = project();
  expect(
    locateMediasoup({ MEDIASOUP_PATH: 'my/mediasoup', MEDIASOUP_DATA_PRODUCER_CACHE: '/x' }, app),
  ).toEqual({ dir: resolve('my/mediasoup'), source: 'MEDIASOUP_PATH' });
});

test("mediasoupPackageDir() run inside a project uses the project's mediasoup, found from a folder inside it", () => {
  const app = project();
  const from = join(app, 'src', 'deep');

  expect(projectMediasoupDir(from)).toBe(join(app, 'node_modules', 'mediasoup'));
  expect(locateMediasoup({}, from)).toEqual({
    dir: join(app, 'node_modules', 'mediasoup'),
    source: 'project',
  });
});

test("mediasoupPackageDir() inside a project with MEDIASOUP_VERSION uses the cache, not the project's", () => {
  const app = project();
  expect(locateMediasoup({ MEDIASOUP_VERSION: '3.8.4' }, app)).toMatchObject({
    dir: DEFAULT,
    source: 'MEDIASOUP_VERSION',
  });
});

test('this repository has no mediasoup of its own in node_modules, so its tests use the cache', () => {
  // A mediasoup pulled in as a dependency would silently become the router under test.
  expect(projectMediasoupDir(join(__dirname, '..', '..'))).toBeUndefined();
});

test('checkMediasoupPackage() returns the version of the package found', () => {
  const app = project('3.27.1');
  expect(checkMediasoupPackage(locateMediasoup({}, app))).toBe('3.27.1');
});

test('checkMediasoupPackage() with MEDIASOUP_PATH at another version than MEDIASOUP_VERSION throws naming both', () => {
  const app = project('3.27.1');
  const dir = join(app, 'node_modules', 'mediasoup');

  expect(() =>
    checkMediasoupPackage(
      locateMediasoup({ MEDIASOUP_PATH: dir, MEDIASOUP_VERSION: '3.8.4' }, plain),
    ),
  ).toThrow(
    `the mediasoup package at ${dir} (MEDIASOUP_PATH) is 3.27.1, not 3.8.4 as MEDIASOUP_VERSION says`,
  );
});

test('checkMediasoupPackage() for a version not set up yet says which command sets it up', () => {
  const location = locateMediasoup(
    { MEDIASOUP_VERSION: '3.27.1', MEDIASOUP_DATA_PRODUCER_CACHE: scratch },
    plain,
  );

  expect(() => checkMediasoupPackage(location)).toThrow(
    `no mediasoup package at ${scratch}/mediasoup-3.27.1/node_modules/mediasoup (MEDIASOUP_VERSION=3.27.1): ` +
      'run "MEDIASOUP_VERSION=3.27.1 npm run setup:router" first (or set MEDIASOUP_PATH to your own mediasoup installation)',
  );
});

test.each([
  ['3.27.1', '3.20.0', true],
  ['3.20.0', '3.20.0', true],
  ['3.19.22', '3.20.0', false],
  ['3.8.4', '3.20.0', false],
  ['3.100.0', '3.20.0', true],
])('versionAtLeast(%p, %p) is %p', (version, minimum, expected) => {
  expect(versionAtLeast(version, minimum)).toBe(expected);
});

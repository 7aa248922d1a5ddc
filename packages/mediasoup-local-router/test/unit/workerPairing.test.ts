// The pairing check of a worker binary with its JS package, on made-up packages and binaries:
// the real 3.8.4 and 3.27.1 pairs are in test/integration (setupRouter, LocalRouter.versions).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkWorkerPairing, workerBinary } from '../../src/workerPairing.js';

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-pairing-'));
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** `count` distinct log and error messages of one made-up mediasoup version. */
function messages(version: string, count = 150): string[] {
  return Array.from({ length: count }, (_, i) => `message ${i} of worker ${version} [id:%s]`);
}

/** A mediasoup package whose worker sources log and throw `lines`. */
function makePackage(dir: string, version: string, lines: string[]): string {
  mkdirSync(join(dir, 'worker', 'src', 'RTC'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mediasoup', version }));
  const calls = lines.map((line, i) => {
    switch (i % 4) {
      case 0:
        return `  MS_THROW_ERROR("${line}", id.c_str());`;
      case 1:
        return `  MS_WARN_TAG(sctp, "${line}", id.c_str());`;
      case 2:
        // Split literals, as clang-format leaves long messages.
        return `  MS_ERROR(\n    "${line.slice(0, 10)}"\n    "${line.slice(10)}", id.c_str());`;
      default:
        return `  MS_DEBUG_2TAGS(rtp, rtcp, "${line}", id.c_str());`;
    }
  });
  writeFileSync(join(dir, 'worker', 'src', 'RTC', 'Transport.cpp'), calls.join('\n'));
  return dir;
}

/** A "binary" holding `lines` as the compiler lays out format strings: C strings. */
function makeWorker(path: string, lines: string[]): string {
  const strings = lines.map((line, i) =>
    i % 2 === 0 ? `E%s::%s() | throwing MediaSoupError: ${line}` : `W%s::%s() | ${line}`,
  );
  writeFileSync(path, Buffer.from(`\x7fnot elf\0${strings.join('\0')}\0`, 'latin1'));
  chmodSync(path, 0o755);
  return path;
}

test('checkWorkerPairing() accepts a worker holding the messages of its package sources', () => {
  const lines = messages('3.30.0');
  const pkg = makePackage(join(scratch, 'pkg'), '3.30.0', lines);
  // Some messages are in code the compiler dropped.
  const worker = makeWorker(join(scratch, 'worker'), lines.slice(20));

  expect(() => {
    checkWorkerPairing(pkg, '3.30.0', { path: worker, from: 'MEDIASOUP_WORKER_BIN' });
  }).not.toThrow();
});

test('checkWorkerPairing() refuses a worker of another version in one line with how many messages it holds', () => {
  const pkg = makePackage(join(scratch, 'pkg'), '3.30.0', messages('3.30.0'));
  const worker = makeWorker(
    join(scratch, 'worker'),
    [...messages('3.30.0').slice(0, 60), ...messages('3.31.0')].sort(),
  );

  expect(() => {
    checkWorkerPairing(pkg, '3.30.0', { path: worker, from: 'MEDIASOUP_WORKER_BIN' });
  }).toThrow(
    new Error(
      `MEDIASOUP_WORKER_BIN=${worker} is not a mediasoup 3.30.0 worker ` +
        "(it holds only 60 of the 150 messages of mediasoup 3.30.0's worker sources): " +
        `a worker and its JS package (${pkg}) must be the same version`,
    ),
  );
});

test('checkWorkerPairing() names the version a mismatched worker is from when the cache holds that package', () => {
  const cache = join(scratch, 'cache');
  const pkg = makePackage(
    join(cache, 'mediasoup-3.30.0', 'node_modules', 'mediasoup'),
    '3.30.0',
    messages('3.30.0'),
  );
  makePackage(
    join(cache, 'mediasoup-3.31.0', 'node_modules', 'mediasoup'),
    '3.31.0',
    messages('3.31.0'),
  );
  const worker = makeWorker(join(scratch, 'worker'), messages('3.31.0'));

  expect(() => {
    checkWorkerPairing(pkg, '3.30.0', { path: worker, from: 'package' }, cache);
  }).toThrow(
    `the worker at ${worker} is not a mediasoup 3.30.0 worker (it is mediasoup 3.31.0's): ` +
      `a worker and its JS package (${pkg}) must be the same version`,
  );
});

/** A cache with packages 3.30.0 and 3.31.0 whose messages overlap as 3.27.1's and 3.32.2's do. */
function closeVersions(): { cache: string; older: string; newer: string; newerLines: string[] } {
  const cache = join(scratch, 'cache');
  const olderLines = messages('3.30.0');
  // 3.31.0 keeps 135 of 3.30.0's 150 messages and adds 15 of its own.
  const newerLines = [...olderLines.slice(15), ...messages('3.31.0', 15)];
  const older = makePackage(
    join(cache, 'mediasoup-3.30.0', 'node_modules', 'mediasoup'),
    '3.30.0',
    olderLines,
  );
  const newer = makePackage(
    join(cache, 'mediasoup-3.31.0', 'node_modules', 'mediasoup'),
    '3.31.0',
    newerLines,
  );
  return { cache, older, newer, newerLines };
}

test('checkWorkerPairing() refuses a worker of a close version that the cache explains better, naming it', () => {
  const { cache, older, newerLines } = closeVersions();
  // Built from 3.31.0, with 3 messages dropped by the compiler: it holds 132 of 3.30.0's 150.
  const worker = makeWorker(join(scratch, 'worker'), newerLines.slice(3));

  expect(() => {
    checkWorkerPairing(older, '3.30.0', { path: worker, from: 'package' }, cache);
  }).toThrow(
    `the worker at ${worker} is not a mediasoup 3.30.0 worker (it is mediasoup 3.31.0's): ` +
      `a worker and its JS package (${older}) must be the same version`,
  );
});

test('checkWorkerPairing() accepts a worker of its own version with a close version in the cache', () => {
  const { cache, newer, newerLines } = closeVersions();
  const worker = makeWorker(join(scratch, 'worker'), newerLines.slice(3));

  expect(() => {
    checkWorkerPairing(newer, '3.31.0', { path: worker, from: 'package' }, cache);
  }).not.toThrow();
});

test('checkWorkerPairing() names the cached version a mismatched worker matches best, not the first it matches', () => {
  const { cache, newerLines } = closeVersions();
  const pkg = makePackage(
    join(cache, 'mediasoup-3.20.0', 'node_modules', 'mediasoup'),
    '3.20.0',
    messages('3.20.0'),
  );
  // It matches 3.30.0 too (132 of 150), but 3.31.0 better.
  const worker = makeWorker(join(scratch, 'worker'), newerLines.slice(3));

  expect(() => {
    checkWorkerPairing(pkg, '3.20.0', { path: worker, from: 'package' }, cache);
  }).toThrow(`(it is mediasoup 3.31.0's)`);
});

test('checkWorkerPairing() with a MEDIASOUP_WORKER_BIN that is not executable says so', () => {
  const pkg = makePackage(join(scratch, 'pkg'), '3.30.0', messages('3.30.0'));
  const worker = join(scratch, 'worker');
  writeFileSync(worker, 'not a program');

  expect(() => {
    checkWorkerPairing(pkg, '3.30.0', { path: worker, from: 'MEDIASOUP_WORKER_BIN' });
  }).toThrow(`MEDIASOUP_WORKER_BIN=${worker} is not an executable file`);
});

test('checkWorkerPairing() without the package worker says to run the set-up', () => {
  const pkg = makePackage(join(scratch, 'pkg'), '3.30.0', messages('3.30.0'));
  const worker = workerBinary(pkg, {});

  expect(worker).toEqual({
    path: join(pkg, 'worker', 'out', 'Release', 'mediasoup-worker'),
    from: 'package',
  });
  expect(() => {
    checkWorkerPairing(pkg, '3.30.0', worker);
  }).toThrow(
    `no mediasoup-worker at ${worker.path}: run "npm run setup:router" first ` +
      '(or set MEDIASOUP_WORKER_BIN to a mediasoup 3.30.0 worker)',
  );
});

test('workerBinary() follows mediasoup: MEDIASOUP_WORKER_BIN, else the Release (or Debug) build', () => {
  expect(workerBinary('/m', { MEDIASOUP_WORKER_BIN: '/bin/w' })).toEqual({
    path: '/bin/w',
    from: 'MEDIASOUP_WORKER_BIN',
  });
  expect(workerBinary('/m', { MEDIASOUP_BUILDTYPE: 'Debug' }).path).toBe(
    '/m/worker/out/Debug/mediasoup-worker',
  );
});

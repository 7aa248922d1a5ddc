// A mediasoup worker binary and its JS package must be the same version: the channel between
// them changed completely in 3.13 (JSON to FlatBuffers) and its messages change between
// versions, and a mismatched pair fails in obscure ways (mediasoup 3.8.4 with a 3.27.1
// worker waits forever for the worker to start; 3.27.1 with a 3.8.4 worker dies with
// SIGABRT). The worker does not know its own version (mediasoup passes it in the
// MEDIASOUP_VERSION variable), so the pairing is told from what the binary contains: the
// messages that the package's own worker sources log and throw are compiled into the
// worker's read-only strings. A worker built from those sources holds nearly all of them
// (98% for 3.8.4, 3.27.1 and 3.32.2; the rest are in code the compiler dropped), while the
// 3.8.4 and 3.27.1 workers hold only about half of each other's. Close versions share more:
// the 3.27.1 worker holds 89% of 3.32.2's messages and the 3.32.2 worker 94% of 3.27.1's,
// so a worker is also refused when a package of another version in the set-up script's
// cache explains it clearly better than its own (98% against 89% or 94% there). Without
// that other package at hand such a pair passes; patch releases that change no message
// cannot be told apart this way at all.
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';

import { packageVersion } from './loadMediasoup.js';

export interface WorkerBinary {
  path: string;
  /** MEDIASOUP_WORKER_BIN, or the package's own worker (built, downloaded or copied there). */
  from: 'MEDIASOUP_WORKER_BIN' | 'package';
}

/** The worker mediasoup spawns for this package: its own rule, from `env` (process.env). */
export function workerBinary(
  packageDir: string,
  env: NodeJS.ProcessEnv = process.env,
): WorkerBinary {
  if (env.MEDIASOUP_WORKER_BIN)
    return { path: env.MEDIASOUP_WORKER_BIN, from: 'MEDIASOUP_WORKER_BIN' };
  const buildType = env.MEDIASOUP_BUILDTYPE === 'Debug' ? 'Debug' : 'Release';
  return {
    path: join(packageDir, 'worker', 'out', buildType, 'mediasoup-worker'),
    from: 'package',
  };
}

/** A worker holding at least this share of its package's messages was built from them. */
const MATCH_SHARE = 0.8;
/** Fewer messages than this in the sources and the check cannot tell: it passes. */
const MIN_MESSAGES = 100;
/**
 * A worker that holds this larger a share of another cached version's messages than of its
 * own package's is that version's (a worker of its own version: 2% points the other way or
 * less; 3.27.1 against 3.32.2: 4 to 9 points).
 */
const BETTER_BY = 0.02;

export interface PairingScore {
  /** How many of the package's worker messages the binary holds. */
  found: number;
  total: number;
}

const MESSAGE_MACRO =
  /\bMS_(?:THROW_ERROR|THROW_TYPE_ERROR|THROW_NOT_FOUND_ERROR|ERROR|WARN_TAG|DEBUG_TAG|WARN_2TAGS|DEBUG_2TAGS)(?:_STD)?\s*\(\s*(?:\w+\s*,\s*){0,2}((?:"(?:[^"\\\n]|\\.)*"\s*)+)[,)]/g;
const STRING_LITERAL = /"((?:[^"\\\n]|\\.)*)"/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(?:cpp|cc)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * The log and error messages of a package's worker sources: format strings made only of
 * string literals (no PRIu64-style macros in between), long enough to be distinctive, and
 * without escapes, so that each is found verbatim in a binary built from them.
 */
function workerMessages(packageDir: string): Set<string> {
  const messages = new Set<string>();
  const src = join(packageDir, 'worker', 'src');
  if (!existsSync(src)) return messages;
  for (const file of sourceFiles(src)) {
    for (const match of readFileSync(file, 'utf8').matchAll(MESSAGE_MACRO)) {
      const literals = match[1] ?? '';
      const text = [...literals.matchAll(STRING_LITERAL)].map((m) => m[1] ?? '').join('');
      if (text.length >= 16 && !text.includes('\\')) messages.add(text);
    }
  }
  return messages;
}

/** The `.rodata` section of a 64-bit little-endian ELF file, or undefined for anything else. */
function elfReadOnlyData(path: string): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) < 64) return undefined;
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) {
      return undefined;
    }
    const sectionsAt = Number(header.readBigUInt64LE(0x28));
    const entrySize = header.readUInt16LE(0x3a);
    const count = header.readUInt16LE(0x3c);
    const namesIndex = header.readUInt16LE(0x3e);
    const table = Buffer.alloc(entrySize * count);
    readSync(fd, table, 0, table.length, sectionsAt);
    const section = (i: number): { name: number; offset: number; size: number } => ({
      name: table.readUInt32LE(i * entrySize),
      offset: Number(table.readBigUInt64LE(i * entrySize + 0x18)),
      size: Number(table.readBigUInt64LE(i * entrySize + 0x20)),
    });
    const namesSection = section(namesIndex);
    const names = Buffer.alloc(namesSection.size);
    readSync(fd, names, 0, names.length, namesSection.offset);
    for (let i = 0; i < count; i++) {
      const { name, offset, size } = section(i);
      if (names.toString('latin1', name, names.indexOf(0, name)) !== '.rodata') continue;
      const data = Buffer.alloc(size);
      readSync(fd, data, 0, size, offset);
      return data;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const PRINTABLE = /^[\x20-\x7e]+$/;
const THROWING = /^throwing MediaSoup\w*Error: /;

/**
 * The binary's C strings, and each with the logger's prefixes removed: a log line is compiled
 * as one literal "E%s::%s() | <message>", and the linker may keep an error's own message
 * only as the tail of its "throwing MediaSoupError: <message>" log line.
 */
function binaryStrings(path: string): Set<string> {
  const data = elfReadOnlyData(path) ?? readFileSync(path);
  const strings = new Set<string>();
  for (let text of data.toString('latin1').split('\0')) {
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (text.length < 16 || !PRINTABLE.test(text)) continue;
    strings.add(text);
    const bar = text.indexOf(' | ');
    if (bar < 0) continue;
    const message = text.slice(bar + 3);
    strings.add(message);
    const throwing = THROWING.exec(message);
    if (throwing) strings.add(message.slice(throwing[0].length));
  }
  return strings;
}

const scores = new Map<string, PairingScore>();

/** How many of the package's worker messages `workerPath` holds (memoized per file state). */
export function workerMessageScore(packageDir: string, workerPath: string): PairingScore {
  const real = realpathSync(workerPath);
  const { size, mtimeMs } = statSync(real);
  const key = [realpathSync(packageDir), real, size, mtimeMs].join('\0');
  const known = scores.get(key);
  if (known) return known;
  const messages = workerMessages(packageDir);
  const strings = binaryStrings(real);
  let found = 0;
  for (const message of messages) if (strings.has(message)) found++;
  const score = { found, total: messages.size };
  scores.set(key, score);
  return score;
}

function matches(score: PairingScore): boolean {
  return score.total < MIN_MESSAGES || score.found >= score.total * MATCH_SHARE;
}

function share(score: PairingScore): number {
  return score.total < MIN_MESSAGES ? 1 : score.found / score.total;
}

/** Other mediasoup packages at hand: the versions in the set-up script's cache. */
function knownPackages(packageDir: string, cacheRoot: string | undefined): string[] {
  if (cacheRoot === undefined || !existsSync(cacheRoot)) return [];
  const dirs: string[] = [];
  for (const entry of readdirSync(cacheRoot)) {
    const dir = join(cacheRoot, entry, 'node_modules', 'mediasoup');
    if (entry.startsWith('mediasoup-') && dir !== packageDir && existsSync(join(dir, 'worker'))) {
      dirs.push(dir);
    }
  }
  return dirs.sort();
}

function describeWorker(worker: WorkerBinary): string {
  return worker.from === 'MEDIASOUP_WORKER_BIN'
    ? `MEDIASOUP_WORKER_BIN=${worker.path}`
    : `the worker at ${worker.path}`;
}

/**
 * Throws a one-line Error unless `worker` exists, is executable and was built from the
 * worker sources of the mediasoup package at `packageDir` (version `version`). On a
 * mismatch it names the version the worker is from when a package of that version is in
 * `cacheRoot` (the set-up script's cache).
 */
export function checkWorkerPairing(
  packageDir: string,
  version: string,
  worker: WorkerBinary,
  cacheRoot?: string,
): void {
  try {
    accessSync(worker.path, constants.X_OK);
    if (!statSync(worker.path).isFile()) throw new Error('not a file');
  } catch {
    throw new Error(
      worker.from === 'MEDIASOUP_WORKER_BIN'
        ? `MEDIASOUP_WORKER_BIN=${worker.path} is not an executable file`
        : `no mediasoup-worker at ${worker.path}: run "npm run setup:router" first ` +
            `(or set MEDIASOUP_WORKER_BIN to a mediasoup ${version} worker)`,
    );
  }
  const score = workerMessageScore(packageDir, worker.path);
  const own = matches(score);
  // The other version's package that the worker matches best, if it matches that one (and,
  // when it matches its own too, clearly better).
  let twin: string | undefined;
  let twinShare = own ? share(score) + BETTER_BY : 0;
  for (const dir of knownPackages(packageDir, cacheRoot)) {
    const other = packageVersion(dir);
    if (other === undefined || other === version) continue;
    const otherScore = workerMessageScore(dir, worker.path);
    if (matches(otherScore) && share(otherScore) >= twinShare) {
      twin = dir;
      twinShare = share(otherScore);
    }
  }
  if (own && !twin) return;
  const what = twin
    ? `it is mediasoup ${packageVersion(twin) ?? '?'}'s`
    : `it holds only ${score.found} of the ${score.total} messages of mediasoup ${version}'s worker sources`;
  throw new Error(
    `${describeWorker(worker)} is not a mediasoup ${version} worker (${what}): ` +
      `a worker and its JS package (${packageDir}) must be the same version`,
  );
}

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import type { MsModule } from './mediasoupTypes.js';

/**
 * The mediasoup version that `scripts/setup-router.sh` builds and that is used when nothing
 * says otherwise: the newest whose npm package builds its worker from source without network.
 */
export const BUILT_IN_MEDIASOUP_VERSION = '3.8.4';

/**
 * Why a mediasoup package was chosen, in order of precedence: `MEDIASOUP_PATH`, then
 * `MEDIASOUP_VERSION` (the set-up script's cache), then the project's own mediasoup (found
 * in `node_modules` from the working directory up), then the cache of the built-in version.
 */
export type MediasoupSource = 'MEDIASOUP_PATH' | 'MEDIASOUP_VERSION' | 'project' | 'default';

export interface MediasoupLocation {
  /** The package directory (the one holding mediasoup's package.json). */
  dir: string;
  source: MediasoupSource;
  /** The version asked for with `MEDIASOUP_VERSION` or by default; undefined otherwise. */
  requestedVersion?: string;
}

// mediasoup 3.x only: LocalRouter is written against 3.x's API.
const VERSION_PATTERN = /^3\.\d+\.\d+$/;

/** `MEDIASOUP_VERSION`, checked; undefined when unset or empty (as in setup-router.sh). */
export function requestedMediasoupVersion(
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const version = env.MEDIASOUP_VERSION;
  if (!version) return undefined;
  if (!VERSION_PATTERN.test(version)) {
    throw new Error(
      `MEDIASOUP_VERSION=${version} is not a mediasoup version: expected 3.<minor>.<patch>, such as ${BUILT_IN_MEDIASOUP_VERSION} or 3.27.1`,
    );
  }
  return version;
}

/** The set-up script's cache folder (`MEDIASOUP_DATA_PRODUCER_CACHE` or its default). */
export function mediasoupCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MEDIASOUP_DATA_PRODUCER_CACHE || join(homedir(), '.cache', 'mediasoup-data-producer');
}

/** Where the set-up script puts the mediasoup package of one version. */
export function cachedMediasoupDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(mediasoupCacheRoot(env), `mediasoup-${version}`, 'node_modules', 'mediasoup');
}

/**
 * The mediasoup package that the project in `cwd` has installed: `node_modules/mediasoup`
 * in `cwd` or a parent folder, as `require()` would find it from there. Global folders and
 * NODE_PATH are left out on purpose: only the app's own mediasoup counts. (mediasoup >= 3.13
 * does not export `./package.json`, so `require.resolve('mediasoup/package.json')` cannot
 * be used.)
 */
export function projectMediasoupDir(cwd: string = process.cwd()): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, 'node_modules', 'mediasoup');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Which mediasoup package LocalRouter loads, and why (see MediasoupSource). */
export function locateMediasoup(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): MediasoupLocation {
  const requested = requestedMediasoupVersion(env);
  if (env.MEDIASOUP_PATH) {
    return {
      dir: resolve(env.MEDIASOUP_PATH),
      source: 'MEDIASOUP_PATH',
      ...(requested !== undefined && { requestedVersion: requested }),
    };
  }
  if (requested !== undefined) {
    return {
      dir: cachedMediasoupDir(requested, env),
      source: 'MEDIASOUP_VERSION',
      requestedVersion: requested,
    };
  }
  const project = projectMediasoupDir(cwd);
  if (project !== undefined) return { dir: project, source: 'project' };
  return {
    dir: cachedMediasoupDir(BUILT_IN_MEDIASOUP_VERSION, env),
    source: 'default',
    requestedVersion: BUILT_IN_MEDIASOUP_VERSION,
  };
}

/**
 * Where the mediasoup package comes from (see locateMediasoup()); an empty variable counts
 * as unset, as in scripts/setup-router.sh.
 */
export function mediasoupPackageDir(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  return locateMediasoup(env, cwd).dir;
}

/** How a location is named in messages, e.g. `MEDIASOUP_VERSION=3.27.1`. */
export function describeSource(location: MediasoupLocation): string {
  switch (location.source) {
    case 'MEDIASOUP_PATH':
      return 'MEDIASOUP_PATH';
    case 'MEDIASOUP_VERSION':
      return `MEDIASOUP_VERSION=${location.requestedVersion ?? ''}`;
    case 'project':
      return "the project's own node_modules";
    case 'default':
      return 'the default';
  }
}

/** The `version` field of a mediasoup package.json, or undefined when there is none. */
export function packageVersion(dir: string): string | undefined {
  try {
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof json.version === 'string' ? json.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks that the located package is there and is the version asked for, and returns its
 * version. Throws one-line errors that say what to run.
 */
export function checkMediasoupPackage(location: MediasoupLocation): string {
  const { dir } = location;
  if (!existsSync(join(dir, 'package.json'))) {
    const setup =
      location.source === 'MEDIASOUP_VERSION'
        ? `MEDIASOUP_VERSION=${location.requestedVersion ?? ''} npm run setup:router`
        : 'npm run setup:router';
    throw new Error(
      `no mediasoup package at ${dir} (${describeSource(location)}): run "${setup}" first ` +
        '(or set MEDIASOUP_PATH to your own mediasoup installation)',
    );
  }
  const version = packageVersion(dir);
  if (version === undefined) throw new Error(`${dir}/package.json has no version`);
  if (location.requestedVersion !== undefined && version !== location.requestedVersion) {
    throw new Error(
      `the mediasoup package at ${dir} (${describeSource(location)}) is ${version}, ` +
        `not ${location.requestedVersion} as MEDIASOUP_VERSION says`,
    );
  }
  return version;
}

/** Requires and returns the mediasoup module that locateMediasoup() names. */
export function loadMediasoup(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): MsModule {
  const location = locateMediasoup(env, cwd);
  checkMediasoupPackage(location);
  return requireMediasoup(location.dir);
}

export function requireMediasoup(dir: string): MsModule {
  const requireFromHere = createRequire(join(dir, 'package.json'));
  return requireFromHere(dir) as MsModule;
}

/** Whether `version` (x.y.z) is `minimum` or newer. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parse = (v: string): number[] =>
    v.split(/[.-]/, 3).map((part) => Number.parseInt(part, 10) || 0);
  const [a, b] = [parse(version), parse(minimum)];
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

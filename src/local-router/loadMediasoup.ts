import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import type { MsModule } from './mediasoupTypes.js';

/** The mediasoup version that `scripts/setup-router.sh` builds. */
export const BUILT_IN_MEDIASOUP_VERSION = '3.8.4';

/**
 * Where the mediasoup package comes from: `MEDIASOUP_PATH` (a user's own
 * installation, any 3.x) or the set-up script's cache (an empty variable counts as unset,
 * as in scripts/setup-router.sh).
 */
export function mediasoupPackageDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MEDIASOUP_PATH) return resolve(env.MEDIASOUP_PATH);
  const cacheRoot =
    env.MEDIASOUP_DATA_PRODUCER_CACHE || join(homedir(), '.cache', 'mediasoup-data-producer');
  return join(cacheRoot, `mediasoup-${BUILT_IN_MEDIASOUP_VERSION}`, 'node_modules', 'mediasoup');
}

export function loadMediasoup(env: NodeJS.ProcessEnv = process.env): MsModule {
  const dir = mediasoupPackageDir(env);
  if (!existsSync(join(dir, 'package.json'))) {
    throw new Error(
      `no mediasoup package at ${dir}: run "npm run setup:router" first ` +
        '(or set MEDIASOUP_PATH to your own mediasoup installation)',
    );
  }
  const requireFromHere = createRequire(join(dir, 'package.json'));
  return requireFromHere(dir) as MsModule;
}

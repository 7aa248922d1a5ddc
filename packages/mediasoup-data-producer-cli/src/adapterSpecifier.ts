// What --signaling names: a built-in adapter or a module file. The bots package loads the
// module; this says which flag a problem came from.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

import {
  AdapterModuleError,
  importAdapterModule,
  instantiateAdapter,
  type SignalingAdapter,
  type SignalingAdapterContext,
  type SignalingAdapterFactory,
} from 'mediasoup-data-bots';

import { UsageError } from './errors.js';

/** Names that --signaling takes for the adapters shipped with the CLI. */
export const BUILT_IN_ADAPTERS = ['local', 'websocket'] as const;

/** Resolves --signaling to a file path, or a built-in adapter name. Throws UsageError. */
export function resolveAdapterSpecifier(
  specifier: string,
  cwd: string = process.cwd(),
): { builtIn: (typeof BUILT_IN_ADAPTERS)[number] } | { path: string } {
  if ((BUILT_IN_ADAPTERS as readonly string[]).includes(specifier)) {
    return { builtIn: specifier as (typeof BUILT_IN_ADAPTERS)[number] };
  }
  const path = isAbsolute(specifier) ? specifier : resolve(cwd, specifier);
  if (!existsSync(path)) {
    throw new UsageError(
      `--signaling: no such file: ${path} (give a .js, .mjs or .cjs module, or one of: ${BUILT_IN_ADAPTERS.join(', ')})`,
    );
  }
  return { path };
}

/** A module's adapter problem as a usage error of --signaling. */
async function asFlagError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AdapterModuleError) throw new UsageError(`--signaling: ${error.message}`);
    throw error;
  }
}

/** The adapter of the module at `path` (its factory called with `context`). Throws UsageError. */
export async function loadAdapterModule(
  path: string,
  context: SignalingAdapterContext,
): Promise<SignalingAdapter> {
  return asFlagError(async () => {
    const picked: SignalingAdapterFactory | SignalingAdapter = await importAdapterModule(path);
    return instantiateAdapter(picked, context, path);
  });
}

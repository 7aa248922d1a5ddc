// Each transport takes one file descriptor in this process (its ICE socket) and, with the
// local router, one in the mediasoup worker, which inherits this process's limit. A run that
// would pass the limit is refused before anything connects, rather than failing transports
// halfway through the ramp-up.
import { readFileSync } from 'node:fs';

import type { LoadConfig } from './engine/index.js';

/** What a process uses besides its transports: Node, the signaling, the report. */
const BASE_DESCRIPTORS = 64;

/** The soft limit of open files of this process, or undefined when unknown or unlimited. */
export function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a run of `config` cannot fit in `limit` open files, or undefined when it can. */
export function openFilesProblem(
  config: Pick<LoadConfig, 'transports' | 'consumers' | 'roomSize'>,
  limit: number | undefined = openFilesLimit(),
): string | undefined {
  const consuming = (config.consumers ?? 0) > 0 || (config.roomSize ?? 0) > 0;
  const transports = config.transports * (consuming ? 2 : 1);
  const needed = transports + BASE_DESCRIPTORS;
  if (limit === undefined || needed <= limit) return undefined;
  const suggestion = 2 ** Math.ceil(Math.log2(needed));
  return (
    `${transports} transports need about ${needed} open files (one each), but this process may ` +
    `open ${limit}: raise the limit first (e.g. ulimit -n ${suggestion}; see docs/scale.md)`
  );
}

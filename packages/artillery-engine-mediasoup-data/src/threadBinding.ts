// Artillery runs a local test on several worker threads of one process. node-datachannel
// (0.33) keeps JavaScript references in process-wide statics of its native addon, so a second
// thread that loads the same node_datachannel.node crashes the process ("Cannot create a
// handle without a HandleScope") as soon as it creates a DataChannel. In a worker thread this
// module therefore loads the addon from a copy of its own: the dynamic loader then gives the
// thread a separate instance, statics and libdatachannel included. Imported before anything
// that loads node-datachannel; the main thread loads it as usual.

import { copyFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

const ADDON = 'node_datachannel.node';

type DlOpen = (module: object, filename: string, ...flags: number[]) => void;

export function installThreadBinding(): boolean {
  if (isMainThread) return false;
  const target = process as unknown as { dlopen: DlOpen; __mdpThreadBinding?: true };
  if (target.__mdpThreadBinding) return true;
  const original = target.dlopen.bind(process);
  target.dlopen = (module, filename, ...flags) => {
    if (basename(filename) !== ADDON) {
      original(module, filename, ...flags);
      return;
    }
    const copy = join(tmpdir(), `node_datachannel-${process.pid}-${threadId}.node`);
    copyFileSync(filename, copy);
    try {
      original(module, copy, ...flags); // the same arguments: dlopen refuses an undefined mode
    } finally {
      try {
        unlinkSync(copy); // the loaded library stays mapped
      } catch {
        // Windows keeps a loaded DLL's file: it stays in the temporary folder.
      }
    }
  };
  target.__mdpThreadBinding = true;
  return true;
}

installThreadBinding();

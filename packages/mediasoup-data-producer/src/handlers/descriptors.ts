// libdatachannel opens a transport's ICE socket inside setLocalDescription() and, when the
// process has no file descriptor left, throws out of it in a way node-datachannel does not
// catch: the whole process aborts ("Failed to gather local ICE candidates"). So a transport
// checks, just before, that a few descriptors are free.
import { closeSync, openSync, readFileSync } from 'node:fs';

import { OperationError } from '../errors.js';

/** Descriptors that must be free: the ICE socket takes one, the rest is margin. */
const HEADROOM = 4;
const NULL_DEVICE = process.platform === 'win32' ? 'NUL' : '/dev/null';

/** Throws OperationError when the process is (nearly) out of file descriptors. */
export function assertDescriptorsFree(): void {
  // Read first: once the descriptors run out, the limits file cannot be opened either.
  const limit = describeLimit();
  const opened: number[] = [];
  try {
    for (let i = 0; i < HEADROOM; i++) opened.push(openSync(NULL_DEVICE, 'r'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENFILE') {
      throw new OperationError(
        `no file descriptor free for the transport's ICE socket (${code}): each transport ` +
          `takes one; raise the process's limit of open files${limit} (e.g. ulimit -n 65536)`,
      );
    }
    // No null device to probe with: nothing to check.
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

/** `, now 1024` from /proc/self/limits on Linux; empty elsewhere. */
function describeLimit(): string {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    return match?.[1] ? `, now ${match[1]}` : '';
  } catch {
    return '';
  }
}

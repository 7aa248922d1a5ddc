// What the library logs, for tests that check a warning was (or was not) written.
import { format } from 'node:util';

import debug from 'debug';

export interface CapturedLog {
  /** Each line logged on the captured namespace, formatted as console.warn would. */
  lines: string[];
  restore(): void;
}

/**
 * Enables `namespace` and records what it logs, instead of printing it: the test asserts the
 * lines, so they are not console noise. The library's loggers write through their own `log`
 * function (console.warn), so `debug.log` never sees them; `debug.formatArgs` is called for
 * every line of every logger, with the logger as `this` and the arguments that `log` gets
 * (debug itself fills in only %o and %O), and is wrapped instead; it also mutes the captured
 * loggers' `log` until restore(). Other namespaces print as before.
 */
export function captureLog(namespace: string): CapturedLog {
  const previousNamespaces = debug.disable();
  debug.enable([previousNamespaces, namespace].filter(Boolean).join(','));
  const formatArgs = debug.formatArgs;
  const lines: string[] = [];
  const muted = new Map<debug.Debugger, debug.Debugger['log']>();
  debug.formatArgs = function (this: debug.Debugger, args: unknown[]): void {
    if (this.namespace === namespace) {
      lines.push(format(...args));
      if (!muted.has(this)) {
        muted.set(this, this.log);
        this.log = () => undefined;
      }
    }
    formatArgs.call(this, args);
  };
  return {
    lines,
    restore() {
      for (const [logger, log] of muted) logger.log = log;
      muted.clear();
      debug.formatArgs = formatArgs;
      debug.disable();
      if (previousNamespaces) debug.enable(previousNamespaces);
    },
  };
}

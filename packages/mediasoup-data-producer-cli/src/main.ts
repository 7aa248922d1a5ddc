#!/usr/bin/env node
// The `mediasoup-data-producer` command (package.json "bin").

import { main } from './cli.js';
import { errorMessage } from 'mediasoup-data-bots';
import { EXIT_INTERRUPTED } from './exitCodes.js';

main(process.argv, undefined, {
  // A user who presses Ctrl-C twice does not want to wait for the closing any more; only
  // here, in the process's own entry point, may the CLI end the process from under it.
  onSecondSignal: (signal) => {
    process.stderr.write(`\n${signal} again: exiting at once\n`);
    process.exit(EXIT_INTERRUPTED);
  },
}).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now, so the process ends by itself. Should a user's adapter
    // still hold it, do not hang for ever (the timer itself does not keep it alive).
    setTimeout(() => {
      process.stderr.write(
        'warning: something still held the process 5 s after the end; exiting\n',
      );
      process.exit(code);
    }, 5000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);

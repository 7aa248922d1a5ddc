#!/usr/bin/env node
// The `mediasoup-data-producer` command (package.json "bin").

import { main } from './cli.js';
import { errorMessage } from './errors.js';

main(process.argv).then(
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

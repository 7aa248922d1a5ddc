'use strict';
// Preloaded into `artillery run` (NODE_OPTIONS=--require) by the multi-worker test. Artillery
// 2.0.21 runs a local test on max(1, os.cpus().length - 1) worker threads (artillery
// lib/platform/local/index.js; the WORKERS variable only sets a count that the local platform
// does not read), so on a 2-core machine there is one worker. Reporting
// ARTILLERY_TEST_CPUS cores makes it spread the phases over ARTILLERY_TEST_CPUS - 1 workers.
const os = require('node:os');

const cpus = Number(process.env.ARTILLERY_TEST_CPUS);
if (Number.isInteger(cpus) && cpus > 0) {
  const real = os.cpus.bind(os);
  os.cpus = () => {
    const list = real();
    return Array.from({ length: cpus }, (_, i) => list[i % list.length]);
  };
}

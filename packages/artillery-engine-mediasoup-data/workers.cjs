'use strict';
// Sets how many worker threads `artillery run` uses on this machine. Artillery 2.0.21 runs a
// local test on max(1, os.cpus().length - 1) worker threads (lib/platform/local/index.js) and
// has no option for it (its WORKERS variable sets a count the local platform does not read).
// Preloaded with NODE_OPTIONS, this makes os.cpus() report MDP_ARTILLERY_WORKERS + 1 cores:
//
//   MDP_ARTILLERY_WORKERS=4 NODE_OPTIONS='--require artillery-engine-mediasoup-data/workers' \
//     npx artillery run bots.yml
const os = require('node:os');

const workers = Number(process.env.MDP_ARTILLERY_WORKERS);
if (Number.isInteger(workers) && workers > 0) {
  const real = os.cpus.bind(os);
  os.cpus = () => {
    const list = real();
    return Array.from({ length: workers + 1 }, (_, i) => list[i % list.length]);
  };
}

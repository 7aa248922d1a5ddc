// `tsx scripts/check-worker.ts <mediasoup package dir>`, for setup-router.sh: checks that the
// worker mediasoup would spawn for that package (MEDIASOUP_WORKER_BIN, or the package's own)
// is an executable of the package's version, as LocalRouter.start() does, and prints the
// reason on one line of stderr (exit 1) when it is not.
import {
  mediasoupCacheRoot,
  packageVersion,
} from '../packages/mediasoup-local-router/src/loadMediasoup.js';
import {
  checkWorkerPairing,
  workerBinary,
} from '../packages/mediasoup-local-router/src/workerPairing.js';

const dir = process.argv[2];
try {
  if (!dir) throw new Error('usage: tsx scripts/check-worker.ts <mediasoup package dir>');
  const version = packageVersion(dir);
  if (version === undefined) throw new Error(`no mediasoup package.json with a version in ${dir}`);
  checkWorkerPairing(dir, version, workerBinary(dir), mediasoupCacheRoot());
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

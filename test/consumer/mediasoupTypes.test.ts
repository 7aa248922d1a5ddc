// mediasoup's and mediasoup-client's own objects go into this library, and ours into
// mediasoup, with no cast: each app of test/consumer/apps must compile under `--strict`
// against the built declarations of the library (dist/types) and the declarations of every
// router version the project supports (the set-up script's cache: scripts/setup-test-env.sh
// makes them) or of mediasoup-client (this repository's devDependency). Run `npm run build`
// first.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { mediasoupPackageDir } from 'mediasoup-local-router';

const ROOT = path.join(__dirname, '..', '..');
const LIBRARY = path.join(ROOT, 'packages', 'mediasoup-data-producer');
const APPS = path.join(__dirname, 'apps');
const TSC = require.resolve('typescript/bin/tsc');
const run = promisify(execFile);

/** The router versions the project supports. */
const ROUTER_VERSIONS = ['3.8.4', '3.27.1', '3.32.2'];

/**
 * Compiles `app` in a temporary project whose node_modules links `dependency` (at `target`)
 * and the library, as an installed app has them; resolves with tsc's error lines.
 */
async function compile(
  app: string,
  dependency: string,
  target: string,
  extraOptions: string[] = [],
): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mdp-mediasoup-types-'));
  try {
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(target, path.join(dir, 'node_modules', dependency), 'dir');
    symlinkSync(LIBRARY, path.join(dir, 'node_modules', 'mediasoup-data-producer'), 'dir');
    const file = path.join(dir, path.basename(app));
    copyFileSync(app, file);
    const result = await run(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        // Only how the two packages' types meet is under test, not their own declarations.
        '--skipLibCheck',
        '--target',
        'es2022',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        '--types',
        'node',
        ...extraOptions,
        file,
      ],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: unknown) => ({ stdout: (error as { stdout?: string }).stdout ?? '' }));
    return result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(() => {
  expect(existsSync(path.join(LIBRARY, 'dist', 'types', 'index.d.ts'))).toBe(true); // npm run build
});

test.each(ROUTER_VERSIONS)(
  "tsc --strict of an app passing mediasoup %s's router, WebRtcTransport and DataConsumer fields to the library, and the library's DTLS and SCTP parameters and rtpCapabilities to mediasoup, without a cast, reports no error",
  async (version) => {
    const mediasoup = mediasoupPackageDir({
      ...process.env,
      MEDIASOUP_PATH: '',
      MEDIASOUP_VERSION: version,
    });
    // Made by scripts/setup-test-env.sh (MEDIASOUP_VERSION=<v> bash scripts/setup-router.sh).
    expect(existsSync(path.join(mediasoup, 'package.json'))).toBe(true);

    const errors = await compile(path.join(APPS, 'mediasoupApp.ts'), 'mediasoup', mediasoup);

    expect(errors).toEqual([]);
  },
);

test("tsc --strict of a browser app's data path typed with mediasoup-client's declarations (handlerName, additionalSettings, proprietaryConstraints, priority, rtpCapabilities, binaryType) reports no error", async () => {
  const mediasoupClient = path.join(ROOT, 'node_modules', 'mediasoup-client');

  const errors = await compile(
    path.join(APPS, 'mediasoupClientApp.ts'),
    'mediasoup-client',
    mediasoupClient,
    ['--lib', 'es2022,dom'],
  );

  expect(errors).toEqual([]);
});

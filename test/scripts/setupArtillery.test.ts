// scripts/setup-artillery.sh: which Artillery (ARTILLERY_VERSION), and that the cache folder is
// complete or absent whatever runs at the same time. A fake `npm` on PATH stands in for the
// registry.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const script = join(ROOT, 'scripts', 'setup-artillery.sh');

let scratch: string;
let cache: string;
let env: NodeJS.ProcessEnv;
let calls: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-setup-artillery-'));
  cache = join(scratch, 'cache');
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  calls = join(scratch, 'npm-calls');
  // Takes a second, as a real install takes a minute, then leaves an artillery package.
  writeFileSync(
    join(bin, 'npm'),
    `#!/bin/sh
echo "$@" >> ${calls}
for arg; do last="$arg"; done
while [ "$1" != "--prefix" ]; do shift; done
pkg="$2/node_modules/artillery"
sleep 1
mkdir -p "$pkg/bin"
echo '#!/bin/sh' > "$pkg/bin/run"
printf '{"name":"artillery","version":"%s"}' "\${last#artillery@}" > "$pkg/package.json"
`,
  );
  chmodSync(join(bin, 'npm'), 0o755);
  env = {
    ...process.env,
    MEDIASOUP_DATA_PRODUCER_CACHE: cache,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
  };
  delete env.ARTILLERY_PATH;
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function npmCalls(): string[] {
  return existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
}

function runAsync(extra: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { env: { ...env, ...extra } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => {
      resolve({ code, out });
    });
  });
}

test('setup-artillery.sh run twice at once installs once, and both end with the complete cache', async () => {
  const runs = await Promise.all([
    runAsync({ ARTILLERY_VERSION: '2.0.99' }),
    runAsync({ ARTILLERY_VERSION: '2.0.99' }),
  ]);

  expect(runs.map((run) => run.code)).toEqual([0, 0]);
  expect(runs.map((run) => run.out).join('')).toMatch(/artillery 2\.0\.99 ready \(cached in /);
  expect(npmCalls()).toHaveLength(1);
  expect(existsSync(join(cache, 'artillery-2.0.99', '.installed'))).toBe(true);
  expect(readdirSync(cache).sort()).toEqual(['artillery-2.0.99', 'artillery-2.0.99.lock']);
});

test('setup-artillery.sh replaces a folder left incomplete (no marker) whole', () => {
  const prefix = join(cache, 'artillery-2.0.21');
  mkdirSync(join(prefix, 'node_modules', 'artillery', 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'node_modules', 'leftover'), 'half an install');

  const result = spawnSync('bash', [script], { env, encoding: 'utf8' });

  expect(result.status).toBe(0);
  expect(npmCalls()).toEqual([expect.stringMatching(/ artillery@2\.0\.21$/)]);
  expect(existsSync(join(prefix, 'node_modules', 'leftover'))).toBe(false);
  expect(existsSync(join(prefix, '.installed'))).toBe(true);
});

test('setup-artillery.sh with ARTILLERY_VERSION=newest installs the pinned newest 2.x', () => {
  const result = spawnSync('bash', [script], {
    env: { ...env, ARTILLERY_VERSION: 'newest' },
    encoding: 'utf8',
  });

  expect(result.status).toBe(0);
  expect(npmCalls()).toEqual([expect.stringMatching(/ artillery@2\.0\.34$/)]);
});

test('setup-artillery.sh with an ARTILLERY_VERSION that is no Artillery 2 version fails in one line', () => {
  const result = spawnSync('bash', [script], {
    env: { ...env, ARTILLERY_VERSION: 'latest' },
    encoding: 'utf8',
  });

  expect(result.status).toBe(1);
  expect(result.stderr).toBe(
    '[setup-artillery] FAILED: ARTILLERY_VERSION=latest is not an Artillery 2 version: expected 2.<minor>.<patch> or newest\n',
  );
  expect(npmCalls()).toEqual([]);
});

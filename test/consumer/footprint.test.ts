// What `npm install mediasoup-data-producer` brings into an app: the packed library installed
// into an empty project from the npm registry (as CI can reach it). The command-line tool's
// dependencies (vega, commander, ws, ...) live in their own package and must not come along.
// Run `npm run build` first.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { LIBRARY_DIR } from '../support/paths.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const MAX_PACKAGES = 8;
const MAX_BYTES = 15 * 1024 * 1024;

/** Bytes of every file under `dir` (symlinks not followed). */
function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

let app: string;

beforeAll(() => {
  app = mkdtempSync(path.join(tmpdir(), 'mdp-footprint-'));
});

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

test('npm install of the packed library into an empty project adds at most 8 packages and 15 MB, and require() works there', async () => {
  expect(existsSync(path.join(LIBRARY_DIR, 'dist', 'cjs', 'index.js'))).toBe(true); // npm run build
  const { stdout: packed } = await run(NPM, ['pack', '--pack-destination', app, '--json'], {
    cwd: LIBRARY_DIR,
  });
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  writeFileSync(
    path.join(app, 'package.json'),
    '{ "name": "app", "version": "1.0.0", "private": true }\n',
  );

  await run(NPM, ['install', `./${filename}`, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: app,
    timeout: 180000,
  });

  const { stdout: listed } = await run(NPM, ['ls', '--all', '--parseable'], { cwd: app });
  const installed = listed
    .trim()
    .split('\n')
    .slice(1) // the app itself
    .map((dir) => path.relative(path.join(app, 'node_modules'), dir))
    .sort();
  expect(installed).toContain('mediasoup-data-producer');
  expect(installed).toContain('node-datachannel');
  expect(installed.filter((name) => /vega|commander|cli-progress|^ws$/.test(name))).toEqual([]);
  expect(installed.length).toBeLessThanOrEqual(MAX_PACKAGES);
  expect(sizeOf(path.join(app, 'node_modules'))).toBeLessThanOrEqual(MAX_BYTES);

  const { stdout } = await run(
    process.execPath,
    [
      '-e',
      "const { Device } = require('mediasoup-data-producer'); console.log(new Device().handlerName)",
    ],
    { cwd: app },
  );
  expect(stdout.trim()).toBe('node-datachannel');
}, 240000);

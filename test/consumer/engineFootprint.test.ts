// What `npm install artillery-engine-mediasoup-data` brings into a load-testing project: the
// packed engine, with the packed library and bots package it depends on (not on the
// registry yet), installed into an empty project. The command line's dependencies
// (commander, cli-progress, vega, the CLI itself) must not come along. Run `npm run build`
// first.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { REPO_ROOT } from '../support/paths.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const PACKED = [
  'mediasoup-data-producer',
  'mediasoup-data-bots',
  'artillery-engine-mediasoup-data',
];
const MAX_PACKAGES = 12;
const MAX_BYTES = 16 * 1024 * 1024;

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

let app: string;

beforeAll(() => {
  app = mkdtempSync(path.join(tmpdir(), 'mdp-engine-footprint-'));
});

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

test('npm install of the packed Artillery engine into an empty project installs no command-line dependency, at most 12 packages and 16 MB, and require() gives the engine', async () => {
  const tarballs: string[] = [];
  for (const name of PACKED) {
    const { stdout } = await run(NPM, ['pack', '--pack-destination', app, '--json'], {
      cwd: path.join(REPO_ROOT, 'packages', name),
    });
    tarballs.push(`./${(JSON.parse(stdout) as [{ filename: string }])[0].filename}`);
  }
  writeFileSync(
    path.join(app, 'package.json'),
    '{ "name": "app", "version": "1.0.0", "private": true }\n',
  );

  await run(NPM, ['install', ...tarballs, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: app,
    timeout: 180000,
  });

  const { stdout: listed } = await run(NPM, ['ls', '--all', '--parseable'], { cwd: app });
  const installed = listed
    .trim()
    .split('\n')
    .slice(1)
    .map((dir) => path.relative(path.join(app, 'node_modules'), dir))
    .sort();
  expect(installed).toEqual(expect.arrayContaining(PACKED));
  expect(
    installed.filter((name) =>
      /vega|commander|cli-progress|mediasoup-data-producer-cli|mediasoup-local-router/.test(name),
    ),
  ).toEqual([]);
  expect(installed.length).toBeLessThanOrEqual(MAX_PACKAGES);
  // 12 packages, 12.2 MB on 2026-12-07 (the engine's README says so).
  expect(sizeOf(path.join(app, 'node_modules'))).toBeLessThanOrEqual(MAX_BYTES);

  const { stdout } = await run(
    process.execPath,
    ['-e', "console.log(typeof require('artillery-engine-mediasoup-data'))"],
    { cwd: app },
  );
  expect(stdout.trim()).toBe('function');
}, 240000);

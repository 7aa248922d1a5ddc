// What `npm install artillery-engine-mediasoup-data` brings into a load-testing project: the
// packed engine, with the packed library and bots package it depends on (not on the
// registry yet), installed into an empty project. The command line's dependencies
// (commander, cli-progress, vega, the CLI itself) must not come along. Run `npm run build`
// first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { installPacked, run } from '../support/packedInstall.js';
import { REPO_ROOT } from '../support/paths.js';

const PACKED = [
  'mediasoup-data-producer',
  'mediasoup-data-bots',
  'artillery-engine-mediasoup-data',
];
const MAX_PACKAGES = 16;
const MAX_BYTES = 16 * 1024 * 1024;

let app: string;

beforeAll(() => {
  app = mkdtempSync(path.join(tmpdir(), 'mdp-engine-footprint-'));
});

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

test('npm install of the packed Artillery engine into an empty project installs no command-line dependency, at most 16 packages and 16 MB, and require() gives the engine', async () => {
  const { installed, bytes } = await installPacked(
    app,
    PACKED.map((name) => path.join(REPO_ROOT, 'packages', name)),
  );

  expect(installed).toEqual(expect.arrayContaining(PACKED));
  expect(
    installed.filter((name) =>
      /vega|commander|cli-progress|mediasoup-data-producer-cli|mediasoup-local-router/.test(name),
    ),
  ).toEqual([]);
  expect(installed.length).toBeLessThanOrEqual(MAX_PACKAGES);
  // 16 packages, 13.2 MB on 2026-12-07 (the engine's README says so): hdr-histogram-js, for
  // histograms that merge across workers, brings @assemblyscript/loader, base64-js and pako.
  expect(bytes).toBeLessThanOrEqual(MAX_BYTES);

  const { stdout } = await run(
    process.execPath,
    ['-e', "console.log(typeof require('artillery-engine-mediasoup-data'))"],
    { cwd: app },
  );
  expect(stdout.trim()).toBe('function');
}, 240000);

// What `npm install mediasoup-data-producer` brings into an app: the packed library installed
// into an empty project from the npm registry (as CI can reach it). The command-line tool's
// dependencies (vega, commander, ws, ...) live in their own package and must not come along.
// Run `npm run build` first.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { installPacked, run } from '../support/packedInstall.js';
import { LIBRARY_DIR } from '../support/paths.js';

const MAX_PACKAGES = 8;
const MAX_BYTES = 15 * 1024 * 1024;

let app: string;

beforeAll(() => {
  app = mkdtempSync(path.join(tmpdir(), 'mdp-footprint-'));
});

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

test('npm install of the packed library into an empty project adds at most 8 packages and 15 MB, and require() works there', async () => {
  expect(existsSync(path.join(LIBRARY_DIR, 'dist', 'cjs', 'index.js'))).toBe(true); // npm run build
  const { installed, bytes } = await installPacked(app, [LIBRARY_DIR]);

  expect(installed).toContain('mediasoup-data-producer');
  expect(installed).toContain('node-datachannel');
  expect(installed.filter((name) => /vega|commander|cli-progress|^ws$/.test(name))).toEqual([]);
  expect(installed.length).toBeLessThanOrEqual(MAX_PACKAGES);
  expect(bytes).toBeLessThanOrEqual(MAX_BYTES);

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

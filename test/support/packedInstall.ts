// What `npm install` of packed packages brings into an empty project: for the footprint tests.
// The packages are packed from their folders (run `npm run build` first); their other
// dependencies come from the npm registry.
import { execFile } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Bytes of every file under `dir` (symlinks not followed). */
function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

export interface PackedInstall {
  /** The installed packages, by their path under node_modules, sorted. */
  installed: string[];
  /** Bytes under node_modules. */
  bytes: number;
}

/** Packs each folder into `app`, makes `app` an empty project and installs the tarballs there. */
export async function installPacked(app: string, packageDirs: string[]): Promise<PackedInstall> {
  const tarballs: string[] = [];
  for (const cwd of packageDirs) {
    const { stdout } = await run(NPM, ['pack', '--pack-destination', app, '--json'], { cwd });
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
    .slice(1) // the app itself
    .map((dir) => path.relative(path.join(app, 'node_modules'), dir))
    .sort();
  return { installed, bytes: sizeOf(path.join(app, 'node_modules')) };
}

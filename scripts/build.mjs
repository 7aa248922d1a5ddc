// Builds each package's dist/cjs (require), dist/esm (import) and dist/types from its src/,
// in dependency order: the local router and the command-line tool compile against the
// library's built declarations, as they will when installed from the registry.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const PACKAGES = [
  'mediasoup-data-producer',
  'mediasoup-local-router',
  'mediasoup-data-bots',
  'mediasoup-data-producer-cli',
  'artillery-engine-mediasoup-data',
];

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

for (const name of PACKAGES) {
  const dir = join('packages', name);
  const dist = join(dir, 'dist');
  const run = (...args) =>
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json'), ...args], {
      stdio: 'inherit',
    });
  rmSync(dist, { recursive: true, force: true });
  run('--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', join(dist, 'cjs'));
  run('--module', 'es2022', '--moduleResolution', 'bundler', '--outDir', join(dist, 'esm'));
  run(
    '--module',
    'es2022',
    '--moduleResolution',
    'bundler',
    '--declaration',
    '--emitDeclarationOnly',
    // Members tagged `@internal` (the wiring between Transport and DataProducer) are left out
    // of the published declarations: test/consumer/declarations.test.ts checks it.
    '--stripInternal',
    '--outDir',
    join(dist, 'types'),
  );
  // Each output folder says which module system its .js files use.
  mkdirSync(join(dist, 'cjs'), { recursive: true });
  writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dist, 'esm', 'package.json'), '{ "type": "module" }\n');
}

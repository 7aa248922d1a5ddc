// Builds dist/cjs (require), dist/esm (import) and dist/types from one source.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const run = (...args) =>
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs');
run('--module', 'es2022', '--moduleResolution', 'bundler', '--outDir', 'dist/esm');
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
  'dist/types',
);
// Each output folder says which module system its .js files use.
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
writeFileSync('dist/esm/package.json', '{ "type": "module" }\n');

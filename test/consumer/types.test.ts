// test/consumer/consumer.ts is a consumer's code: it must compile under `--strict` against
// the built declarations (dist/types), found through package.json "exports" by the package
// name, with every library .d.ts checked (skipLibCheck off). Run `npm run build` first.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..', '..');
const TSC = require.resolve('typescript/bin/tsc');
const CONSUMER = path.join(__dirname, 'consumer.ts');

const run = promisify(execFile);

const resolutions: [string, string[]][] = [
  ['node16', ['--module', 'node16', '--moduleResolution', 'node16']],
  ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler']],
];

test.each(resolutions)(
  "tsc --noEmit --strict of a consumer importing 'mediasoup-data-producer' and its local-router from dist/types with moduleResolution %s reports no error",
  async (_name, moduleOptions) => {
    expect(existsSync(path.join(ROOT, 'dist', 'types', 'index.d.ts'))).toBe(true); // npm run build

    const result = await run(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--target',
        'es2022',
        '--types',
        'node',
        ...moduleOptions,
        '--traceResolution',
        CONSUMER,
      ],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    ).catch((error: unknown) => {
      const failed = error as { stdout?: string; stderr?: string; message?: string };
      return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message ?? '' };
    });

    const errors = result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors).toEqual([]);
    expect(result.stderr).toBe('');
    // The types came from the build, through the package name, not from src/.
    expect(result.stdout).toMatch(
      /Module name 'mediasoup-data-producer' was successfully resolved to '[^']*\/dist\/types\/index\.d\.ts'/,
    );
    expect(result.stdout).toMatch(
      /Module name 'mediasoup-data-producer\/local-router' was successfully resolved to '[^']*\/dist\/types\/local-router\/index\.d\.ts'/,
    );
    expect(result.stdout).not.toMatch(/resolved to '[^']*\/src\//);
  },
);

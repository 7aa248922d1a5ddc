// test/consumer/consumer.ts is a consumer's code: it must compile under `--strict` against
// the built declarations (dist/types), found by the package name through package.json
// "exports" (node16, bundler) or "types" (node10, which knows no "exports"), with every library .d.ts checked (skipLibCheck off). Run `npm run build` first.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGES = [
  'mediasoup-data-producer',
  'mediasoup-local-router',
  'mediasoup-data-bots',
  'mediasoup-data-producer-cli',
];
const LIBRARY_TYPES = path.join(
  ROOT,
  'packages',
  'mediasoup-data-producer',
  'dist',
  'types',
  'index.d.ts',
);

/** A temporary project's node_modules linking to each package of this repository. */
function linkPackages(dir: string): void {
  mkdirSync(path.join(dir, 'node_modules'));
  for (const name of PACKAGES)
    symlinkSync(path.join(ROOT, 'packages', name), path.join(dir, 'node_modules', name), 'dir');
}
const TSC = require.resolve('typescript/bin/tsc');
const CONSUMER = path.join(__dirname, 'consumer.ts');

const run = promisify(execFile);

const resolutions: [string, string[]][] = [
  ['node16', ['--module', 'node16', '--moduleResolution', 'node16']],
  ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler']],
  ['node10', ['--module', 'commonjs', '--moduleResolution', 'node10']],
];

/**
 * node10 is also tried from a temporary project whose node_modules links to the packages,
 * as an installed app has them (the repository's own node_modules links them too).
 */
function consumerProject(name: string): { dir: string; consumer: string; cleanUp(): void } {
  if (name !== 'node10') return { dir: ROOT, consumer: CONSUMER, cleanUp: () => undefined };
  const dir = mkdtempSync(path.join(tmpdir(), 'mdp-consumer-'));
  linkPackages(dir);
  const consumer = path.join(dir, 'consumer.ts');
  copyFileSync(CONSUMER, consumer);
  const cleanUp = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, consumer, cleanUp };
}

test.each(resolutions)(
  "tsc --noEmit --strict of a consumer importing 'mediasoup-data-producer', 'mediasoup-local-router' and 'mediasoup-data-producer-cli' from their dist/types with moduleResolution %s reports no error",
  async (name, moduleOptions) => {
    expect(existsSync(LIBRARY_TYPES)).toBe(true); // npm run build
    const project = consumerProject(name);

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
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        '--types',
        'node',
        ...moduleOptions,
        '--traceResolution',
        project.consumer,
      ],
      { cwd: project.dir, maxBuffer: 64 * 1024 * 1024 },
    )
      .catch((error: unknown) => {
        const failed = error as { stdout?: string; stderr?: string; message?: string };
        return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message ?? '' };
      })
      .finally(() => {
        project.cleanUp();
      });

    const errors = result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors).toEqual([]);
    expect(result.stderr).toBe('');
    // The types came from the build, through the package name, not from src/.
    expect(result.stdout).toMatch(
      /Module name 'mediasoup-data-producer' was successfully resolved to '[^']*\/mediasoup-data-producer\/dist\/types\/index\.d\.ts'/,
    );
    expect(result.stdout).toMatch(
      /Module name 'mediasoup-local-router' was successfully resolved to '[^']*\/mediasoup-local-router\/dist\/types\/index\.d\.ts'/,
    );
    expect(result.stdout).toMatch(
      /Module name 'mediasoup-data-producer-cli' was successfully resolved to '[^']*\/mediasoup-data-producer-cli\/dist\/types\/index\.d\.ts'/,
    );
    expect(result.stdout).not.toMatch(/resolved to '[^']*\/src\//);
  },
);

// What the Transport calls on its DataProducers is tagged @internal in src/ and stripped from
// dist/types: a consumer who calls it gets "does not exist" from tsc, one error a line.
// (Written to a temporary project, not to consumer.ts: `npm run typecheck` checks the tests
// against src/, where these members are there.)
const INTERNAL_USES = [
  'dataProducer.transportClosed();',
  'dataProducer.channelClosed();',
  'dataProducer.transportFailed();',
  'seen.push(dataProducer.stats);',
];

test('tsc of a consumer calling the members tagged @internal fails: they are not in dist/types', async () => {
  expect(existsSync(LIBRARY_TYPES)).toBe(true); // npm run build
  const dir = mkdtempSync(path.join(tmpdir(), 'mdp-internal-'));
  linkPackages(dir);
  const consumer = path.join(dir, 'internal.ts');
  const header = [
    "import type { DataProducer } from 'mediasoup-data-producer';",
    'export const seen: unknown[] = [];',
    'export function useInternals(dataProducer: DataProducer): void {',
  ];
  writeFileSync(
    consumer,
    [...header, ...INTERNAL_USES.map((use) => `  ${use}`), '}', ''].join('\n'),
  );

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
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
      '--types',
      'node',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      consumer,
    ],
    { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
  )
    .then(() => ({ stdout: '' }))
    .catch((error: unknown) => ({ stdout: (error as { stdout?: string }).stdout ?? '' }))
    .finally(() => {
      rmSync(dir, { recursive: true, force: true });
    });

  const errors = result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
  expect(errors).toEqual(
    ['transportClosed', 'channelClosed', 'transportFailed', 'stats'].map((member, index): unknown =>
      expect.stringMatching(
        new RegExp(
          `^internal\\.ts\\(${header.length + index + 1},\\d+\\): error TS2339: Property '${member}' does not exist on type 'DataProducer<`,
        ),
      ),
    ),
  );
});

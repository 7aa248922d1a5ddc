// What the packages tell users about versions matches what scripts/test.sh runs: every
// package.json's `engines` accepts each Node version of the test matrix, and the READMEs name
// each router version and Node version tested.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const read = (...parts: string[]): string => readFileSync(path.join(ROOT, ...parts), 'utf8');
const semver = createRequire(__filename)('semver') as {
  satisfies(version: string, range: string): boolean;
};

/** The router versions of scripts/test.sh's legs (`leg <version> <node> ...`). */
const routers = [
  ...new Set(
    [...read('scripts', 'test.sh').matchAll(/^leg (\d+\.\d+\.\d+) /gm)].map((m) => m[1] ?? ''),
  ),
];
/** The Node versions scripts/setup-node.sh pins (NODE_24=24.x.y). */
const pinnedNodes = [
  ...read('scripts', 'setup-node.sh').matchAll(/^NODE_\d+=(\d+\.\d+\.\d+)$/gm),
].map((m) => m[1] ?? '');
/** Those and the machine's, on which the other legs run. */
const nodes = [...pinnedNodes, process.versions.node];
const packageDirs = readdirSync(path.join(ROOT, 'packages')).map((name) =>
  path.join('packages', name),
);

test('scripts/test.sh runs mediasoup 3.8.4, 3.27.1 and 3.32.2, and setup-node.sh pins Node 24 and 22', () => {
  expect(routers).toEqual(['3.8.4', '3.27.1', '3.32.2']);
  expect(pinnedNodes.map((version) => version.split('.')[0])).toEqual(['24', '22']);
});

test.each(['.', ...packageDirs])(
  '%s/package.json engines.node accepts every Node version the tests run on',
  (dir) => {
    const { engines } = JSON.parse(read(dir, 'package.json')) as { engines?: { node?: string } };
    const range = engines?.node ?? '';

    expect(nodes.filter((version) => !semver.satisfies(version, range))).toEqual([]);
    expect(range).toBe('^20.19.0 || ^22.12.0 || ^24.0.0');
  },
);

test.each(packageDirs)('%s/README.md names every router version tested', (dir) => {
  const readme = read(dir, 'README.md');

  expect(routers.filter((version) => !readme.includes(version))).toEqual([]);
});

test("README.md's version table names every router and Node version tested", () => {
  const readme = read('README.md');
  const table = readme.slice(readme.indexOf('### Versions tested'), readme.indexOf('## Usage'));

  expect(routers.filter((version) => !table.includes(version))).toEqual([]);
  expect(pinnedNodes.filter((version) => !table.includes(version))).toEqual([]);
  // The machine's Node, which runs the other legs: CI's is 20.
  expect(table).toMatch(/\| 20\.\d+\.\d+ /);
});

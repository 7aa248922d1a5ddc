// The shape of the sources: the engine knows nothing of the command line, no module
// imports itself back through others (a cycle makes load order matter), and the bot lives
// in one package that both drivers import, while nothing imports the command line.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');
const PACKAGES = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module each source imports or re-exports: relative ones as src paths, others bare. */
function importGraph(src: string = SRC): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)[^;]*?from\s+'([^']+)'/gms)].map(
      (m) => m[1] ?? '',
    );
    graph.set(
      relative(src, file),
      specifiers.map((s) =>
        s.startsWith('.') ? relative(src, resolve(dirname(file), s.replace(/\.js$/, '.ts'))) : s,
      ),
    );
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      found.push([...path.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) if (graph.has(next)) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

describe('module graph', () => {
  const graph = importGraph();

  test('importGraph() of src finds the engine modules', () => {
    expect(graph.has(join('engine', 'loadEngine.ts'))).toBe(true);
  });

  test('cycles() of src finds no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('cycles() of a graph with a loop finds it', () => {
    const loop = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['a.ts']],
    ]);
    expect(cycles(loop)).toEqual([['a.ts', 'b.ts', 'a.ts']]);
  });

  test('the engine modules import nothing of the command line', () => {
    const commandLine = ['options.ts', 'cli.ts', 'main.ts', 'summary.ts', 'commander'];
    const offending = [...graph]
      .filter(([file]) => file.startsWith(`engine${file.includes('\\') ? '\\' : '/'}`))
      .flatMap(([file, imports]) =>
        imports.filter((i) => commandLine.includes(i)).map((i) => `${file} -> ${i}`),
      );
    expect(offending).toEqual([]);
  });

  /** The bare modules a package's sources import. */
  const packageImports = (name: string): Set<string> =>
    new Set(
      [...importGraph(join(PACKAGES, name, 'src')).values()]
        .flat()
        .filter((i) => !i.startsWith('.') && !i.includes('/src')),
    );

  test('the command line and the Artillery engine import the bots package', () => {
    expect(packageImports('mediasoup-data-producer-cli').has('mediasoup-data-bots')).toBe(true);
    expect(packageImports('artillery-engine-mediasoup-data').has('mediasoup-data-bots')).toBe(true);
  });

  test('no package imports the command line, and the bots package imports no driver', () => {
    const importers = readdirSync(PACKAGES).filter(
      (name) =>
        name !== 'mediasoup-data-producer-cli' &&
        packageImports(name).has('mediasoup-data-producer-cli'),
    );
    expect(importers).toEqual([]);
    const bots = packageImports('mediasoup-data-bots');
    expect(
      ['mediasoup-data-producer-cli', 'artillery-engine-mediasoup-data', 'commander'].filter((d) =>
        bots.has(d),
      ),
    ).toEqual([]);
  });

  test('the Artillery engine depends on the library, the bots package and js-yaml, not on the command line', () => {
    const manifest = JSON.parse(
      readFileSync(join(PACKAGES, 'artillery-engine-mediasoup-data', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      'js-yaml',
      'mediasoup-data-bots',
      'mediasoup-data-producer',
    ]);
  });
});

// The published declarations (dist/types) hold the public API only: no member tagged
// `@internal` in src/ (the build strips them with --stripInternal) and no `any` type
// anywhere. Both are read from the syntax trees, so comments do not count. Run
// `npm run build` first.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const LIBRARY = path.join(ROOT, 'packages', 'mediasoup-data-producer');
const SRC = path.join(LIBRARY, 'src');
const TYPES = path.join(LIBRARY, 'dist', 'types');
/** Every package's published declarations. */
const ALL_TYPES = [
  'mediasoup-data-producer',
  'mediasoup-local-router',
  'mediasoup-data-bots',
  'mediasoup-data-producer-cli',
].map((name) => path.join(ROOT, 'packages', name, 'dist', 'types'));

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

function visit(node: ts.Node, onNode: (node: ts.Node) => void): void {
  onNode(node);
  ts.forEachChild(node, (child) => {
    visit(child, onNode);
  });
}

/** `Class.member` for a class member, else the declaration's own name. */
function qualifiedName(node: ts.Node): string | undefined {
  const name = (node as { name?: ts.Node }).name;
  if (!name || !(ts.isIdentifier(name) || ts.isPrivateIdentifier(name))) {
    return ts.isConstructorDeclaration(node) && ts.isClassLike(node.parent)
      ? `${node.parent.name?.text ?? '?'}.constructor`
      : undefined;
  }
  return ts.isClassLike(node.parent) || ts.isInterfaceDeclaration(node.parent)
    ? `${node.parent.name?.text ?? '?'}.${name.text}`
    : name.text;
}

/** Every declared name in a file, for the file it becomes in dist/types. */
function declaredNames(file: ts.SourceFile, only?: (node: ts.Node) => boolean): string[] {
  const names: string[] = [];
  visit(file, (node) => {
    if (only && !only(node)) return;
    const name = qualifiedName(node);
    if (
      name !== undefined &&
      (ts.isClassElement(node) || ts.isTypeElement(node) || ts.isDeclarationStatement(node))
    )
      names.push(name);
  });
  return names;
}

const isInternal = (node: ts.Node): boolean =>
  ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal');

function internalsInSrc(): Map<string, string[]> {
  const byTypesFile = new Map<string, string[]>();
  for (const file of filesUnder(SRC, '.ts')) {
    const names = declaredNames(parse(file), isInternal);
    if (names.length === 0) continue;
    const relative = path.relative(SRC, file).replace(/\.ts$/, '.d.ts');
    byTypesFile.set(relative, names);
  }
  return byTypesFile;
}

beforeAll(() => {
  expect(existsSync(path.join(TYPES, 'index.d.ts'))).toBe(true); // npm run build
});

test('no member tagged @internal in src/ is declared in dist/types', () => {
  const internals = internalsInSrc();
  const all = [...internals.values()].flat();
  // The test looks at real members: those the Transport uses to drive its DataProducers.
  expect(all).toEqual(
    expect.arrayContaining([
      'DataProducer.stats',
      'DataProducer.channelClosed',
      'DataEndpoint.transportClosed',
      'DataProducer.transportFailed',
    ]),
  );
  const leaked: string[] = [];
  for (const [relative, names] of internals) {
    const published = new Set(declaredNames(parse(path.join(TYPES, relative))));
    // The public members around them are still there: the file is the right one.
    expect(published.size).toBeGreaterThan(0);
    for (const name of names) if (published.has(name)) leaked.push(`${relative}: ${name}`);
  }
  expect(leaked).toEqual([]);
});

test("no declaration in any package's dist/types carries an @internal tag", () => {
  const tagged: string[] = [];
  for (const file of ALL_TYPES.flatMap((dir) => filesUnder(dir, '.d.ts'))) {
    for (const name of declaredNames(parse(file), isInternal))
      tagged.push(`${path.relative(ROOT, file)}: ${name}`);
  }
  expect(tagged).toEqual([]);
});

test("no `any` type in any package's dist/types", () => {
  const files = ALL_TYPES.flatMap((dir) => filesUnder(dir, '.d.ts'));
  for (const dir of ALL_TYPES) expect(files).toContain(path.join(dir, 'index.d.ts'));
  const anys: string[] = [];
  for (const file of files) {
    const source = parse(file);
    visit(source, (node) => {
      if (node.kind !== ts.SyntaxKind.AnyKeyword) return;
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      anys.push(`${path.relative(ROOT, file)}:${line + 1}: ${node.parent.getText(source)}`);
    });
  }
  expect(anys).toEqual([]);
});

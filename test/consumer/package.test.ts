// The built packages as a consumer's `node` loads them: require() gets dist/cjs and import
// gets dist/esm, through package.json "exports". Run `npm run build` first.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const packageVersion = (
  JSON.parse(
    readFileSync(path.join(ROOT, 'packages', 'mediasoup-data-producer', 'package.json'), 'utf8'),
  ) as { version: string }
).version;

const run = promisify(execFile);

interface Loaded {
  resolved: string;
  localRouterResolved: string;
  exports: string[];
  localRouterExports: string[];
  cliResolved: string;
  cliExports: string[];
  testingResolved: string;
  testingExports: string[];
  version: string;
  handlerName: string;
  loaded: boolean;
  errorIsError: boolean;
  typesIsObject: boolean;
}

async function load(fixture: string): Promise<Loaded> {
  const { stdout, stderr } = await run(process.execPath, [path.join(FIXTURES, fixture)], {
    cwd: ROOT,
    timeout: 15000,
  });
  expect(stderr).toBe('');
  return JSON.parse(stdout) as Loaded;
}

const PUBLIC_EXPORTS = [
  'DataProducer',
  'Device',
  'FakeHandler',
  'InvalidStateError',
  'OperationError',
  'ROUTER_FRIENDLY_SCTP_SETTINGS',
  'Transport',
  'UnsupportedError',
  'setRouterFriendlySctpSettings',
  'types',
  'version',
];
const CLI_EXPORTS = [
  'HEADER_SIZE',
  'ReceiverChecker',
  'SIGNALING_URL_ENV',
  'createWebSocketAdapter',
  'decodeMessage',
  'encodeMessage',
  'importAdapterModule',
  'instantiateAdapter',
  'isAdapter',
  'pickAdapterExport',
  'signalThrough',
];
const LOCAL_ROUTER_EXPORTS = [
  'BUILT_IN_MEDIASOUP_VERSION',
  'LocalRouter',
  'loadMediasoup',
  'mediasoupPackageDir',
];

test.each([
  [
    'require()',
    'require-package.cjs',
    /\/mediasoup-data-producer\/dist\/cjs\/index\.js$/,
    /\/mediasoup-local-router\/dist\/cjs\/index\.js$/,
    /\/mediasoup-data-producer-cli\/dist\/cjs\/index\.js$/,
    /\/mediasoup-data-producer\/dist\/cjs\/testing\.js$/,
  ],
  [
    'import',
    'import-package.mjs',
    /\/mediasoup-data-producer\/dist\/esm\/index\.js$/,
    /\/mediasoup-local-router\/dist\/esm\/index\.js$/,
    /\/mediasoup-data-producer-cli\/dist\/esm\/index\.js$/,
    /\/mediasoup-data-producer\/dist\/esm\/testing\.js$/,
  ],
])(
  "%s of 'mediasoup-data-producer', its 'testing' entry, 'mediasoup-local-router' and 'mediasoup-data-producer-cli' in a child node process loads the built packages with their public API",
  async (_how, fixture, main, localRouter, cli, testing) => {
    const loaded = await load(fixture);

    expect(loaded.resolved).toMatch(main);
    expect(loaded.localRouterResolved).toMatch(localRouter);
    expect(loaded.exports).toEqual(expect.arrayContaining(PUBLIC_EXPORTS));
    expect(loaded.localRouterExports).toEqual(expect.arrayContaining(LOCAL_ROUTER_EXPORTS));
    expect(loaded.cliResolved).toMatch(cli);
    expect(loaded.cliExports).toEqual(CLI_EXPORTS);
    expect(loaded.testingResolved).toMatch(testing);
    expect(loaded.testingExports).toEqual(['buildAnswerSdp', 'localFingerprint', 'sdpAttribute']);
    expect(loaded.version).toBe(packageVersion);
    expect(loaded).toMatchObject({
      handlerName: 'node-datachannel',
      loaded: false,
      errorIsError: true,
      typesIsObject: true,
    });
  },
);

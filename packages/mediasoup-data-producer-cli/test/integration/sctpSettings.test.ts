// --sctp-settings: the CLI's bots send as fast as backpressure allows through the local router
// to a consumer each. mediasoup 3.8's worker drops what does not fit its 512-chunk queue toward
// a consumer, so with libdatachannel's own settings such a run loses there; with the default,
// router-friendly settings nothing is lost on any router.

import { assertBuilt, runCli } from '../support/runCli.js';

jest.setTimeout(90000);

const USRSCTP_ROUTER = (process.env.MEDIASOUP_VERSION || '3.8.4') === '3.8.4';

beforeAll(() => {
  assertBuilt();
});

/** `load --signaling local`: 2 bots consuming each other, 100-byte messages, no rate. */
function unlimitedLoad(extra: string[] = []): ReturnType<typeof runCli> {
  return runCli([
    'load',
    ...['--signaling', 'local', '--transports', '2', '--consumers', '1'],
    ...['--size', '100', '--duration', '2', '--no-report', '--no-progress'],
    ...extra,
  ]);
}

/** The value column of a summary row. */
function row(stdout: string, name: string): string {
  const match = new RegExp(`^  ${name} +(.*)$`, 'm').exec(stdout);
  if (!match?.[1]) throw new Error(`no "${name}" row in:\n${stdout}`);
  return match[1];
}

test('load at an unlimited rate with consumers loses nothing with the default SCTP settings', async () => {
  const result = await unlimitedLoad();

  expect(result.stderr).toBe('');
  expect(row(result.stdout, 'delivery lost')).toBe('0');
  expect(row(result.stdout, 'result')).toBe('OK');
  expect(result.code).toBe(0);
});

(USRSCTP_ROUTER ? test : test.skip)(
  'load --sctp-settings libdatachannel at an unlimited rate with consumers loses on mediasoup 3.8.4',
  async () => {
    const result = await unlimitedLoad(['--sctp-settings', 'libdatachannel']);

    expect(Number(row(result.stdout, 'delivery lost').replace(/,/g, ''))).toBeGreaterThan(0);
    expect(result.code).toBe(1);
  },
);

test('load --sctp-settings with another mode exits 2 naming the choices', async () => {
  const result = await unlimitedLoad(['--sctp-settings', 'fast']);

  expect(result.code).toBe(2);
  expect(result.stderr).toContain("'fast' is invalid");
  expect(result.stderr).toContain('router-friendly, libdatachannel');
});

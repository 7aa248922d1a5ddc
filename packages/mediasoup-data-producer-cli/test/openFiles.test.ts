// The open-files check before a run: each transport takes a descriptor (docs/scale.md).
import { spawnSync } from 'node:child_process';

import { openFilesLimit, openFilesProblem } from '../src/openFiles.js';
import { assertBuilt, CLI } from './support/runCli.js';

test('openFilesProblem() when the transports fit the limit returns undefined', () => {
  expect(openFilesProblem({ transports: 900 }, 1024)).toBeUndefined();
  expect(openFilesProblem({ transports: 2000 }, undefined)).toBeUndefined();
});

test('openFilesProblem() when they do not fit says how many are needed and what to raise', () => {
  expect(openFilesProblem({ transports: 1000 }, 1024)).toBe(
    '1000 transports need about 1064 open files (one each), but this process may open 1024: ' +
      'raise the limit first (e.g. ulimit -n 2048; see docs/scale.md)',
  );
});

test('openFilesProblem() with rooms counts a recv transport per bot', () => {
  expect(openFilesProblem({ transports: 500, roomSize: 4 }, 1024)).toMatch(
    /^1000 transports need about 1064 open files/,
  );
  expect(openFilesProblem({ transports: 500, consumers: 1 }, 1024)).toMatch(/^1000 transports/);
  expect(openFilesProblem({ transports: 500, consumers: 0, roomSize: 0 }, 1024)).toBeUndefined();
});

test('openFilesLimit() reads this process soft limit on Linux', () => {
  const shell = spawnSync('bash', ['-c', 'ulimit -Sn'], { encoding: 'utf8' });
  const expected = shell.stdout.trim();

  const limit = openFilesLimit();

  expect(expected === 'unlimited' ? undefined : Number(expected)).toBe(limit);
});

test('mediasoup-data-producer demo with more transports than open files exits 2 at once, before anything connects', () => {
  assertBuilt();
  const run = spawnSync(
    'bash',
    ['-c', `ulimit -n 256 && exec "${process.execPath}" "${CLI}" demo -t 300 -d 1 --no-report`],
    { encoding: 'utf8', timeout: 30000 },
  );

  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(
    /600 transports need about 664 open files \(one each\), but this process may open 256: raise the limit first \(e\.g\. ulimit -n 1024; see docs\/scale\.md\)/,
  );
  expect(run.stdout).not.toMatch(/transports \d+\/300/);
});

// The open-files check against the operating system: the soft limit this process reads, and
// the built CLI refusing a run that does not fit (the check itself: unit/openFiles.test.ts).
import { spawnSync } from 'node:child_process';

import { openFilesLimit } from '../../src/openFiles.js';
import { assertBuilt, CLI } from '../support/runCli.js';

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

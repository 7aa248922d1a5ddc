// Out of file descriptors: libdatachannel would throw on its ICE thread and abort the process,
// so produceData() refuses first. Run in a child process whose own limit is lowered.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'out-of-descriptors.cjs');

interface Outcome {
  limit: number;
  opened: number;
  refusal?: { name: string; message: string; state: string };
}

test('transport.produceData() when the process is out of file descriptors rejects with OperationError naming the limit, and the process does not abort', () => {
  expect(existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js'))).toBe(true); // run `npm run build`
  const run = spawnSync(process.execPath, [FIXTURE, '30'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60000,
  });

  expect(run.signal).toBeNull();
  expect(run.stderr).not.toMatch(/terminate called|Failed to gather/);
  expect(run.status).toBe(0);
  const outcome = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Outcome;
  expect(outcome.opened).toBeGreaterThan(0);
  expect(outcome.refusal).toEqual({
    name: 'OperationError',
    message: expect.stringMatching(
      new RegExp(
        `^no file descriptor free for the transport's ICE socket \\(EMFILE\\): each transport takes one; raise the process's limit of open files, now ${outcome.limit} `,
      ),
    ) as unknown,
    state: 'new',
  });
});

// The open-files check before a run: each transport takes a descriptor (docs/scale.md). The
// limit this process reads and the CLI's refusal to start: integration/openFiles.test.ts.
import { openFilesProblem } from '../../src/openFiles.js';

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

import { readFileSync } from 'node:fs';
import path from 'node:path';

import { version } from 'mediasoup-data-producer';

test("version equals package.json's version", () => {
  const packageJson = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
  ) as { version: string };
  expect(version).toBe(packageJson.version);
});

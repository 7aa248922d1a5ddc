import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { mediasoupPackageDir } from '../../src/local-router/loadMediasoup.js';

const DEFAULT = join(
  homedir(),
  '.cache',
  'mediasoup-data-producer',
  'mediasoup-3.8.4',
  'node_modules',
  'mediasoup',
);

test('mediasoupPackageDir() without variables is the set-up script default cache', () => {
  expect(mediasoupPackageDir({})).toBe(DEFAULT);
});

test('mediasoupPackageDir() with empty variables treats them as unset, as setup-router.sh does', () => {
  expect(mediasoupPackageDir({ MEDIASOUP_PATH: '', MEDIASOUP_DATA_PRODUCER_CACHE: '' })).toBe(
    DEFAULT,
  );
});

test('mediasoupPackageDir() with MEDIASOUP_DATA_PRODUCER_CACHE uses that cache folder', () => {
  expect(mediasoupPackageDir({ MEDIASOUP_DATA_PRODUCER_CACHE: '/tmp/c' })).toBe(
    '/tmp/c/mediasoup-3.8.4/node_modules/mediasoup',
  );
});

test('mediasoupPackageDir() with MEDIASOUP_PATH resolves it and ignores the cache', () => {
  expect(
    mediasoupPackageDir({ MEDIASOUP_PATH: 'my/mediasoup', MEDIASOUP_DATA_PRODUCER_CACHE: '/x' }),
  ).toBe(resolve('my/mediasoup'));
});

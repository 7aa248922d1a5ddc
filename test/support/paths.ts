// Where the repository's packages are, for tests that run their built files in a child
// process or read their sources and declarations.
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const LIBRARY_DIR = join(REPO_ROOT, 'packages', 'mediasoup-data-producer');
export const LOCAL_ROUTER_DIR = join(REPO_ROOT, 'packages', 'mediasoup-local-router');
export const CLI_DIR = join(REPO_ROOT, 'packages', 'mediasoup-data-producer-cli');

// Runs the real `artillery run` (Artillery 2.0.21, or the version ARTILLERY_VERSION names,
// which scripts/setup-artillery.sh caches outside the workspace) on a scenario, with NODE_PATH at the repository's node_modules so
// that require('artillery-engine-mediasoup-data') finds this package's build, and reads the
// JSON report.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PACKAGE_DIR = resolve(__dirname, '..', '..');
export const REPO_DIR = resolve(PACKAGE_DIR, '..', '..');
/** What `newest` stands for in ARTILLERY_VERSION: as in scripts/setup-artillery.sh. */
const NEWEST_ARTILLERY = '2.0.34';
/**
 * The Artillery the tests run: ARTILLERY_VERSION (a version, or `newest`) as in
 * scripts/setup-artillery.sh; 2.0.21, the last on Node 20, by default.
 */
export const ARTILLERY_VERSION =
  process.env.ARTILLERY_VERSION === 'newest'
    ? NEWEST_ARTILLERY
    : process.env.ARTILLERY_VERSION || '2.0.21';

/** The cached artillery package (ARTILLERY_PATH overrides it, as in setup-artillery.sh). */
export function artilleryDir(): string {
  if (process.env.ARTILLERY_PATH) return process.env.ARTILLERY_PATH;
  const cache =
    process.env.MEDIASOUP_DATA_PRODUCER_CACHE ??
    join(homedir(), '.cache', 'mediasoup-data-producer');
  return join(cache, `artillery-${ARTILLERY_VERSION}`, 'node_modules', 'artillery');
}

/** Throws a clear message when Artillery or the engine's build is missing. */
export function checkPrerequisites(): void {
  const bin = join(artilleryDir(), 'bin', 'run');
  if (!existsSync(bin)) {
    const setup = process.env.ARTILLERY_VERSION
      ? `ARTILLERY_VERSION=${process.env.ARTILLERY_VERSION} bash scripts/setup-artillery.sh`
      : 'bash scripts/setup-artillery.sh';
    throw new Error(`no artillery at ${bin}: run \`${setup}\` (npm test does)`);
  }
  const { version } = JSON.parse(readFileSync(join(artilleryDir(), 'package.json'), 'utf8')) as {
    version?: string;
  };
  if (!process.env.ARTILLERY_PATH && version !== ARTILLERY_VERSION) {
    throw new Error(`the artillery at ${artilleryDir()} is ${version}, not ${ARTILLERY_VERSION}`);
  }
  if (!existsSync(join(PACKAGE_DIR, 'dist', 'cjs', 'index.js'))) {
    throw new Error(
      'artillery-engine-mediasoup-data is not built: run `npm run build` (npm test does)',
    );
  }
}

/** Artillery's JSON report (`--output`): what the tests read of it. */
export interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<
      string,
      {
        min: number;
        max: number;
        count: number;
        mean?: number;
        p50?: number;
        p95?: number;
        p99?: number;
      }
    >;
  };
  intermediate: unknown[];
}

export interface ArtilleryRun {
  code: number | null;
  stdout: string;
  stderr: string;
  report: ArtilleryReport | undefined;
}

export interface RunOptions {
  /** Worker threads: Artillery is made to believe there are workers + 1 cores. */
  workers?: number;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Writes the scenario (YAML or JSON text) to a temporary folder and runs it. */
export async function runArtillery(
  scenario: string,
  options: RunOptions = {},
): Promise<ArtilleryRun> {
  const dir = mkdtempSync(join(tmpdir(), 'artillery-engine-test-'));
  try {
    const scenarioPath = join(dir, 'scenario.yml');
    writeFileSync(scenarioPath, scenario);
    return await runArtilleryFile(scenarioPath, join(dir, 'report.json'), options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runArtilleryFile(
  scenarioPath: string,
  reportPath: string,
  { workers, env = {}, timeoutMs = 120_000 }: RunOptions = {},
): Promise<ArtilleryRun> {
  const preload = join(PACKAGE_DIR, 'workers.cjs');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_PATH: join(REPO_DIR, 'node_modules'),
    // 2.0.21 still sends an anonymous event when this is set; without a network it then
    // spends about 12 s retrying before the process ends.
    ARTILLERY_DISABLE_TELEMETRY: 'true',
    ...env,
  };
  if (workers !== undefined) {
    childEnv.MDP_ARTILLERY_WORKERS = String(workers);
    childEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim();
  }
  const bin = join(artilleryDir(), 'bin', 'run');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, 'run', '--output', reportPath, scenarioPath], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`artillery run did not end within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const report = existsSync(reportPath)
        ? (JSON.parse(readFileSync(reportPath, 'utf8')) as ArtilleryReport)
        : undefined;
      resolvePromise({ code, stdout, stderr, report });
    });
  });
}

// The scale test runs in a fresh process per client and N, so that one client's memory
// (and what the allocator keeps after it) never shows up in another's RSS. This is that
// process: it opens the transports and talks to the router host through the benchmark
// process, which relays its requests.
import { loadClient } from '../clients/index.js';
import { parentEndpoint, RouterClient } from '../router/proxy.js';
import type { RouterInfo } from '../router/protocol.js';
import type { BenchConfig, ClientName } from './config.js';
import { emptyScaleResult, measureScale, type ScaleResult } from './scale.js';
import { errorMessage } from './util.js';

export interface ScaleStart {
  kind: 'scaleStart';
  client: ClientName;
  n: number;
  config: BenchConfig;
  info: RouterInfo;
  rtpCapabilities: Record<string, unknown>;
}

export interface ScaleDone {
  kind: 'scaleDone';
  result: ScaleResult;
}

/** Exit code of a scale child that had to force its exit (something kept it alive). */
export const LINGER_EXIT_CODE = 3;

async function run(start: ScaleStart): Promise<ScaleResult> {
  const router = new RouterClient(parentEndpoint(), start.info, start.rtpCapabilities);
  let client;
  try {
    client = await loadClient(start.client);
  } catch (error) {
    return {
      ...emptyScaleResult(start.client, start.n),
      error: `could not load the adapter: ${errorMessage(error)}`,
    };
  }
  const result = await measureScale(client, router, start.config, start.n);
  try {
    await client.dispose();
  } catch (error) {
    result.error = [result.error, `dispose: ${errorMessage(error)}`].filter(Boolean).join('; ');
  }
  if (start.client === 'raw' || start.client === 'ours') {
    // Every peer of this process is closed: release the raw client's, whose close callbacks
    // are not set (the library never calls the process-wide cleanup() itself).
    const { cleanup } = await import('node-datachannel');
    cleanup();
  }
  return result;
}

process.on('message', (message: unknown) => {
  const start = message as Partial<ScaleStart>;
  if (start.kind !== 'scaleStart') return;
  void run(start as ScaleStart)
    .catch((error: unknown) => ({
      ...emptyScaleResult(start.client ?? '?', start.n ?? 0),
      error: errorMessage(error),
    }))
    .then((result) => {
      const usage = process.cpuUsage();
      const done: ScaleDone = {
        kind: 'scaleDone',
        result: { ...result, processCpuSeconds: (usage.user + usage.system) / 1e6 },
      };
      process.send?.(done, () => {
        if (process.connected) process.disconnect();
        // If a client left something running, say what and leave anyway.
        setTimeout(() => {
          process.stderr.write(
            `[scale ${start.client ?? '?'} N=${start.n ?? 0}] did not exit on its own; ` +
              `still open: ${process.getActiveResourcesInfo().join(', ')}\n`,
          );
          process.exit(LINGER_EXIT_CODE);
        }, 5000).unref();
      });
    });
});

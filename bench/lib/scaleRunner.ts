// The benchmark's side of a scale run: forks the scale child, relays its router requests
// to the router host, and collects its result (with timeouts, and a kill if need be).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { MethodName, RequestMessage, ResponseMessage } from '../router/protocol.js';
import { forkTs, type RouterProxy } from '../router/proxy.js';
import type { BenchConfig, ClientName } from './config.js';
import { emptyScaleResult, type ScaleResult } from './scale.js';
import { LINGER_EXIT_CODE, type ScaleDone, type ScaleStart } from './scaleChild.js';
import { errorMessage, withTimeout } from './util.js';

/** Requests a scale child may relay: not `close`, which would end the router for everyone. */
const RELAYED = new Set<MethodName>([
  'createWebRtcTransport',
  'connect',
  'produceData',
  'closeTransport',
  'track',
  'untrack',
  'stats',
  'waitFor',
  'waitForEach',
  'workerCpuSeconds',
  'workerReceived',
]);

/** JSON (the IPC channel) turned NaN into null: turn it back. */
function reviveNumbers(result: ScaleResult): ScaleResult {
  const num = (value: number | null): number => (typeof value === 'number' ? value : NaN);
  return {
    ...result,
    allOpenMs: num(result.allOpenMs),
    rssPerTransportKiB: num(result.rssPerTransportKiB),
    connectMs: {
      p50: num(result.connectMs.p50),
      p99: num(result.connectMs.p99),
      max: num(result.connectMs.max),
    },
  };
}

function reply(child: ChildProcess, response: ResponseMessage): void {
  if (child.connected) child.send(response);
}

export async function runScaleInChild(
  router: RouterProxy,
  client: ClientName,
  n: number,
  config: BenchConfig,
): Promise<ScaleResult> {
  const child = forkTs(join(__dirname, 'scaleChild.ts'));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  const done = new Promise<ScaleResult>((resolve, reject) => {
    child.on('message', (raw: unknown) => {
      const message = raw as Partial<RequestMessage> | Partial<ScaleDone>;
      if (message.kind === 'scaleDone' && 'result' in message && message.result) {
        resolve(reviveNumbers(message.result));
        return;
      }
      if (message.kind !== 'request' || !('method' in message)) return;
      const { id, method, params } = message;
      if (id === undefined || method === undefined) return;
      if (!RELAYED.has(method)) {
        reply(child, { kind: 'response', id, ok: false, error: `${method} is not relayed` });
        return;
      }
      router.forward(method, params ?? []).then(
        (result) => {
          reply(child, { kind: 'response', id, ok: true, result });
        },
        (error: unknown) => {
          reply(child, { kind: 'response', id, ok: false, error: errorMessage(error) });
        },
      );
    });
    child.on('exit', (code, signal) => {
      reject(
        new Error(`the scale process exited before it reported (code ${code}, signal ${signal})`),
      );
    });
    child.on('error', reject);
  });
  const start: ScaleStart = {
    kind: 'scaleStart',
    client,
    n,
    config,
    info: router.info,
    rtpCapabilities: router.rtpCapabilities,
  };
  child.send(start);

  let result: ScaleResult;
  try {
    // The ramp, opening (bounded by scaleOpenTimeoutMs), the one-message check (20 s), the
    // steady windows and their check (20 s), closing (a minute, and more for many).
    const rampMs =
      n > config.scaleAtOnceMaxN && config.scaleRampPerSecond > 0
        ? (n * 1000) / config.scaleRampPerSecond
        : 0;
    const steadyMs = config.scaleSteadySeconds * 2000 + 20000;
    result = await withTimeout(
      done,
      rampMs + config.scaleOpenTimeoutMs + steadyMs + 20000 + 60000 + n * 10,
      `scale ${client} N=${n}`,
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    return { ...emptyScaleResult(client, n), error: errorMessage(error) };
  }
  const code = await withTimeout(exited, 15000, 'scale process exit').catch(() => {
    child.kill('SIGKILL');
    return LINGER_EXIT_CODE;
  });
  if (code === LINGER_EXIT_CODE) {
    result.lingered = true;
    result.error = [result.error, 'the scale process did not exit on its own afterwards']
      .filter(Boolean)
      .join('; ');
  }
  return result;
}

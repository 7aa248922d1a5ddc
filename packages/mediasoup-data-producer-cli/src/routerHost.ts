// `mediasoup-data-producer local-router`: the local router behind the websocket signaling
// protocol, until Ctrl-C (or, for the demo's child process, until its stdin ends).

import { LocalRouter } from 'mediasoup-local-router';
import { errorMessage } from 'mediasoup-data-bots';
import { startSignalingServer } from './signalingServer.js';

export interface RouterHostOptions {
  host: string;
  port: number;
  /** mediasoup workers to start (LocalRouter's `workers`). */
  workers: number;
  /** Run for a parent process: stop when stdin ends, leave SIGINT to the parent. */
  child: boolean;
}

/** Resolves with the exit code once stopped. */
export async function runRouterHost(
  options: RouterHostOptions,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  let router: LocalRouter;
  try {
    router = await LocalRouter.start({ recordMessages: false, workers: options.workers });
  } catch (error) {
    io.err.write(`error: could not start the local router: ${errorMessage(error)}\n`);
    return 1;
  }
  let server;
  try {
    server = await startSignalingServer(router, { host: options.host, port: options.port });
  } catch (error) {
    await router.close();
    io.err.write(
      `error: could not listen on ${options.host}:${options.port}: ${errorMessage(error)}\n`,
    );
    return 1;
  }
  // The first line is what the demo's parent process waits for: keep "listening <url>".
  // Which mediasoup and why (MEDIASOUP_PATH, MEDIASOUP_VERSION, the project's own, default).
  io.out.write(
    `listening ${server.url} (local router: ${router.mediasoupDescription}, ` +
      `${router.workerPids.length === 1 ? 'worker pid' : `${router.workerPids.length} workers, pids`} ${router.workerPids.join(' ')})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', stop);
      process.stdin.off('end', stop);
      process.stdin.off('close', stop);
      if (options.child) process.stdin.pause();
      resolve();
    };
    const onSignal = (): void => {
      // A child leaves Ctrl-C to its parent, which closes it through stdin.
      if (!options.child) stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', stop);
    if (options.child) {
      process.stdin.on('end', stop);
      process.stdin.on('close', stop);
      process.stdin.resume();
    }
  });
  await server.close();
  await router.close();
  if (!options.child) io.out.write('local router closed\n');
  return 0;
}

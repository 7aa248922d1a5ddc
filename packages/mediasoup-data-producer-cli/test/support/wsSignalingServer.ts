// The "user's app" for the CLI tests: the local router behind the JSON-over-WebSocket
// protocol that `load --signaling websocket` speaks (docs/cli.md), recording every request.

import { startSignalingServer } from '../../src/signalingServer.js';
import { LocalRouter } from 'mediasoup-local-router';

export interface WsSignalingServer {
  url: string;
  router: LocalRouter;
  /** Every request received, in order: { method, data }. */
  requests: { method: string; data: Record<string, unknown> }[];
  /** Transports created and not closed yet. */
  openTransports: ReadonlySet<string>;
  /** Runs whose receiver figures the server still keeps. */
  readonly keptRuns: number;
  close(): Promise<void>;
}

export async function startWsSignalingServer(): Promise<WsSignalingServer> {
  const router = await LocalRouter.start({ recordMessages: false });
  const requests: WsSignalingServer['requests'] = [];
  try {
    const server = await startSignalingServer(router, {
      onRequest: (method, data) => requests.push({ method, data }),
    });
    return {
      url: server.url,
      router,
      requests,
      openTransports: server.openTransports,
      get keptRuns() {
        return server.keptRuns;
      },
      async close() {
        await server.close();
        await router.close();
      },
    };
  } catch (error) {
    await router.close();
    throw error;
  }
}

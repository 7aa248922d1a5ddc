// A small app server for the CLI tests: the local router behind the JSON-over-WebSocket
// protocol that `load --signaling websocket` speaks (docs/cli.md). It also answers
// getReceiverStats from the messages its DirectTransport receives.

import { WebSocketServer, type WebSocket } from 'ws';

import { ReceiverChecker } from '../../../src/cli/receiver.js';
import { LocalRouter } from '../../../src/local-router/index.js';

export interface WsSignalingServer {
  url: string;
  router: LocalRouter;
  /** Every request received, in order: { method, data }. */
  requests: { method: string; data: Record<string, unknown> }[];
  /** Transports created and not closed yet. */
  openTransports: Set<string>;
  close(): Promise<void>;
}

type Handler = (data: Record<string, unknown>) => Promise<unknown>;

export async function startWsSignalingServer(): Promise<WsSignalingServer> {
  const router = await LocalRouter.start({ recordMessages: false });
  const checker = new ReceiverChecker();
  router.on('message', (m) => {
    checker.record(m.dataProducerId, m.data, performance.timeOrigin + m.receivedAt);
  });
  const requests: WsSignalingServer['requests'] = [];
  const openTransports = new Set<string>();

  const handlers: Record<string, Handler> = {
    getRouterRtpCapabilities: () => Promise.resolve(router.rtpCapabilities),
    createWebRtcTransport: async () => {
      const params = await router.createWebRtcTransport();
      openTransports.add(params.id);
      return params;
    },
    connectWebRtcTransport: async (data) => {
      await router.connect(String(data.transportId), { dtlsParameters: data.dtlsParameters });
      return {};
    },
    produceData: async (data) => {
      const { id } = await router.produceData(String(data.transportId), {
        sctpStreamParameters: data.sctpStreamParameters,
        label: data.label as string,
        protocol: data.protocol as string,
        appData: data.appData as Record<string, unknown>,
      });
      checker.registerFromAppData(id, data.appData);
      return { id };
    },
    closeTransport: (data) => {
      const id = String(data.transportId);
      if (openTransports.delete(id)) router.closeTransport(id);
      return Promise.resolve({});
    },
    getReceiverStats: (data) => Promise.resolve(checker.report(String(data.runId)) ?? null),
    workerCpuSeconds: () => router.workerCpuSeconds(),
  };

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const sockets = new Set<WebSocket>();
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (raw) => {
      let request: { id?: unknown; method?: unknown; data?: unknown };
      try {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        request = JSON.parse(raw.toString()) as typeof request;
      } catch {
        return;
      }
      const id = request.id;
      const method = String(request.method);
      const data = (request.data ?? {}) as Record<string, unknown>;
      requests.push({ method, data });
      const handler = handlers[method];
      const answer = handler
        ? handler(data)
        : Promise.reject(new Error(`unknown method ${method}`));
      answer.then(
        (result) => {
          socket.send(JSON.stringify({ id, ok: true, data: result }));
        },
        (error: unknown) => {
          socket.send(
            JSON.stringify({
              id,
              ok: false,
              error: error instanceof Error ? error.message : String(error),
            }),
          );
        },
      );
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected server address');
  return {
    url: `ws://127.0.0.1:${address.port}`,
    router,
    requests,
    openTransports,
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
      await router.close();
    },
  };
}

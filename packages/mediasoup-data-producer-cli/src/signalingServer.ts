// The local router behind the JSON-over-WebSocket signaling protocol that the websocket
// adapter speaks (docs/cli.md). `mediasoup-data-producer local-router` runs it; the demo
// runs it in a child process so that receiving does not compete with sending.

import { WebSocketServer, type WebSocket } from 'ws';

import type { LocalRouter } from 'mediasoup-local-router';
import { errorMessage } from './errors.js';
import { ReceiverChecker } from './receiver.js';

export interface SignalingServer {
  url: string;
  /** Ids of the transports created through this server and not closed yet. */
  openTransports: ReadonlySet<string>;
  /**
   * Runs whose receiver figures the server still keeps: each is forgotten once every
   * transport it produced on is closed, or the connection that produced it closes.
   */
  readonly keptRuns: number;
  close(): Promise<void>;
}

export interface SignalingServerOptions {
  host?: string;
  port?: number;
  /** Sees every well-formed request before it is handled (tests record them). */
  onRequest?: (method: string, data: Record<string, unknown>) => void;
}

type Handler = (data: Record<string, unknown>, socket: WebSocket) => Promise<unknown>;

export async function startSignalingServer(
  router: LocalRouter,
  { host = '127.0.0.1', port = 0, onRequest }: SignalingServerOptions = {},
): Promise<SignalingServer> {
  const checker = new ReceiverChecker();
  router.on('message', (m) => {
    checker.record(m.dataProducerId, m.data, performance.timeOrigin + m.receivedAt);
  });
  const transports = new Set<string>();
  // A long-running server must not keep every run's figures: a run is forgotten once every
  // transport it produced on is closed, or the connection that produced it closes.
  const runs = new Map<string, { transports: Set<string>; socket: WebSocket }>();
  const forgetRun = (runId: string): void => {
    checker.forget(runId);
    runs.delete(runId);
  };
  const handlers: Record<string, Handler> = {
    getRouterRtpCapabilities: () => Promise.resolve(router.rtpCapabilities),
    createWebRtcTransport: async () => {
      const params = await router.createWebRtcTransport();
      transports.add(params.id);
      return params;
    },
    connectWebRtcTransport: async (data) => {
      await router.connect(String(data.transportId), { dtlsParameters: data.dtlsParameters });
      return {};
    },
    produceData: async (data, socket) => {
      const { id } = await router.produceData(String(data.transportId), {
        sctpStreamParameters: data.sctpStreamParameters,
        label: typeof data.label === 'string' ? data.label : '',
        protocol: typeof data.protocol === 'string' ? data.protocol : '',
        appData: (data.appData ?? {}) as Record<string, unknown>,
      });
      checker.registerFromAppData(id, data.appData);
      const runId = (data.appData as { mdpRunId?: unknown } | undefined)?.mdpRunId;
      if (typeof runId === 'string') {
        const run = runs.get(runId) ?? { transports: new Set<string>(), socket };
        run.transports.add(String(data.transportId));
        runs.set(runId, run);
      }
      return { id };
    },
    closeTransport: (data) => {
      const id = String(data.transportId);
      if (transports.delete(id)) router.closeTransport(id);
      for (const [runId, run] of runs) {
        if (run.transports.delete(id) && run.transports.size === 0) forgetRun(runId);
      }
      return Promise.resolve({});
    },
    getReceiverStats: (data) => Promise.resolve(checker.report(String(data.runId)) ?? null),
    workerCpuSeconds: () => router.workerCpuSeconds(),
  };

  const wss = new WebSocketServer({ host, port });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      for (const [runId, run] of runs) if (run.socket === socket) forgetRun(runId);
    });
    socket.on('message', (raw) => {
      let request: { id?: unknown; method?: unknown; data?: unknown };
      try {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        request = JSON.parse(raw.toString()) as typeof request;
      } catch {
        return;
      }
      const { id } = request;
      const method = String(request.method);
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      const data = (request.data ?? {}) as Record<string, unknown>;
      onRequest?.(method, data);
      (handler
        ? handler(data, socket)
        : Promise.reject(new Error(`unknown method ${method}`))
      ).then(
        (result) => {
          socket.send(JSON.stringify({ id, ok: true, data: result }));
        },
        (error: unknown) => {
          socket.send(JSON.stringify({ id, ok: false, error: errorMessage(error) }));
        },
      );
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `ws://${shownHost}:${address.port}`,
    openTransports: transports,
    get keptRuns() {
      return runs.size;
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}

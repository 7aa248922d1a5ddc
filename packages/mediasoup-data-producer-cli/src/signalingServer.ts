// The local router behind the JSON-over-WebSocket signaling protocol that the websocket
// adapter speaks (docs/cli.md). `mediasoup-data-producer local-router` runs it; the demo
// runs it in a child process so that receiving does not compete with sending.

import { WebSocketServer, type WebSocket } from 'ws';

import type { LocalRouter } from 'mediasoup-local-router';
import { answer, serveLocalRouter } from './localRouterService.js';

export interface SignalingServer {
  url: string;
  /**
   * Ids of the transports created through this server and not closed yet: closed by
   * `closeTransport`, or when the connection that created them closes.
   */
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
  const service = serveLocalRouter(router);
  const { checker } = service;
  // A long-running server must not keep every run's figures: a run is forgotten once every
  // transport it produced on is closed, or the connection that produced it closes.
  const runs = new Map<string, { transports: Set<string>; socket: WebSocket }>();
  const forgetRun = (runId: string): void => {
    checker.forget(runId);
    runs.delete(runId);
  };
  // The open connections, each with the transports it created. As an app's server does, a
  // connection's transports are closed when it closes, so that a bot that crashed or lost its
  // connection leaves nothing open on the router.
  const transportsOf = new Map<WebSocket, Set<string>>();
  const closeTransport = (id: string): void => {
    service.closeTransport(id);
    for (const owned of transportsOf.values()) owned.delete(id);
    for (const [runId, run] of runs) {
      if (run.transports.delete(id) && run.transports.size === 0) forgetRun(runId);
    }
  };
  const handlers: Record<string, Handler> = {
    getRouterRtpCapabilities: () => Promise.resolve(router.rtpCapabilities),
    // The local router makes send and recv transports alike: `direction` is not needed.
    createWebRtcTransport: async (_data, socket) => {
      const params = await service.createWebRtcTransport();
      const owned = transportsOf.get(socket);
      // Asked by a connection that closed meanwhile: nobody will use or close it.
      if (!owned) service.closeTransport(params.id);
      else owned.add(params.id);
      return params;
    },
    connectWebRtcTransport: async (data) => {
      await service.connect(String(data.transportId), data.dtlsParameters);
      return {};
    },
    produceData: async (data, socket) => {
      const { id } = await service.produceData(String(data.transportId), {
        sctpStreamParameters: data.sctpStreamParameters,
        label: typeof data.label === 'string' ? data.label : '',
        protocol: typeof data.protocol === 'string' ? data.protocol : '',
        appData: (data.appData ?? {}) as Record<string, unknown>,
      });
      const runId = (data.appData as { mdpRunId?: unknown } | undefined)?.mdpRunId;
      if (typeof runId === 'string') {
        const run = runs.get(runId) ?? { transports: new Set<string>(), socket };
        run.transports.add(String(data.transportId));
        runs.set(runId, run);
      }
      return { id };
    },
    consumeData: (data) =>
      service.consumeData(String(data.transportId), String(data.dataProducerId)),
    listDataProducers: (data) => {
      if (typeof data.room !== 'string') {
        return Promise.reject(new Error('listDataProducers: room must be a string'));
      }
      return Promise.resolve(service.listDataProducers(data.room));
    },
    closeDataConsumer: (data) => {
      service.closeDataConsumer(String(data.dataConsumerId));
      return Promise.resolve({});
    },
    closeTransport: (data) => {
      closeTransport(String(data.transportId));
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
  wss.on('connection', (socket) => {
    transportsOf.set(socket, new Set());
    socket.on('close', () => {
      const owned = transportsOf.get(socket) ?? new Set<string>();
      transportsOf.delete(socket);
      for (const id of owned) closeTransport(id);
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
      const data = (request.data ?? {}) as Record<string, unknown>;
      onRequest?.(method, data);
      void answer(handlers, method, data, socket).then((answered) => {
        socket.send(
          JSON.stringify(
            answered.ok
              ? { id, ok: true, data: answered.result }
              : { id, ok: false, error: answered.error },
          ),
        );
      });
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `ws://${shownHost}:${address.port}`,
    openTransports: service.openTransports,
    get keptRuns() {
      return runs.size;
    },
    async close() {
      for (const socket of transportsOf.keys()) socket.terminate();
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}

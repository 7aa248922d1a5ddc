// A stand-in for an app's WebSocket signaling server: the test reads each request and
// answers it (or not) frame by frame, to play a server that is slow, broken or gone.

import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeRequest {
  socket: WebSocket;
  id: unknown;
  method: string;
  data: unknown;
}

export interface FakeWsServer {
  url: string;
  /** The next request received, in order (those already received first). */
  nextRequest(): Promise<FakeRequest>;
  /** Drops every connection and stops listening: later connections are refused. */
  close(): Promise<void>;
}

export async function startFakeWsServer(): Promise<FakeWsServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const received: FakeRequest[] = [];
  const waiting: ((request: FakeRequest) => void)[] = [];
  wss.on('connection', (socket) => {
    socket.on('message', (raw) => {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      const frame = JSON.parse(raw.toString()) as { id: unknown; method: string; data: unknown };
      const request = { socket, id: frame.id, method: frame.method, data: frame.data };
      const waiter = waiting.shift();
      if (waiter) waiter(request);
      else received.push(request);
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    url: `ws://127.0.0.1:${address.port}`,
    nextRequest() {
      const request = received.shift();
      if (request) return Promise.resolve(request);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}

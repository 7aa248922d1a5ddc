// Rooms and consumers: the load engine through the WebSocket protocol against the local
// router, counting deliveries at the consumers.

import type { SignalingAdapter } from 'mediasoup-data-bots';
import { createWebSocketAdapter } from 'mediasoup-data-bots';
import { LoadEngine, type LoadConfig } from '../../src/engine/index.js';
import { summarize } from '../../src/summary.js';
import { startWsSignalingServer, type WsSignalingServer } from '../support/wsSignalingServer.js';

jest.setTimeout(60000);

const config: LoadConfig = {
  transports: 4,
  producers: 1,
  size: 256,
  rate: 50,
  durationMs: 1500,
  rampUpMs: 0,
  ordered: undefined,
  maxRetransmits: undefined,
  maxPacketLifeTime: undefined,
  highWaterMark: 256 * 1024,
  connectTimeoutMs: 15000,
  drainTimeoutMs: 5000,
};

describe('LoadEngine consuming through the WebSocket protocol', () => {
  let server: WsSignalingServer;
  let adapter: SignalingAdapter;

  beforeEach(async () => {
    server = await startWsSignalingServer();
    adapter = createWebSocketAdapter({ url: server.url });
  });

  afterEach(async () => {
    await adapter.close?.();
    await server.close();
  });

  test('LoadEngine.run() with rooms of 2 delivers sent × 1 to the consumers, none lost', async () => {
    const result = await new LoadEngine(adapter, { ...config, roomSize: 2 }, 'run-rooms').run();
    const consumers = result.consumers;
    expect(result.errors).toEqual([]);
    expect(result.sentMessages).toBeGreaterThan(0);
    expect(consumers?.dataConsumers).toBe(4);
    expect(consumers?.expected).toBe(result.sentMessages);
    expect(consumers?.report.messages).toBe(result.sentMessages);
    expect(consumers?.lost).toBe(0);
    expect(consumers?.report.outOfOrder).toBe(0);
    expect(consumers?.report.latencyMs?.count).toBe(result.sentMessages);
    const summary = summarize('load', { ...config, roomSize: 2 }, result);
    expect(summary.consumers).toMatchObject({ mode: 'rooms of 2', fanOut: 1, lost: 0 });
    expect(summary.outcome).toBe('ok');
    // The recv transports and consumers are closed on the server too.
    expect(server.openTransports.size).toBe(0);
    expect(
      server.requests.filter(
        (r) => r.method === 'createWebRtcTransport' && r.data.direction === 'recv',
      ),
    ).toHaveLength(4);
  });

  test('LoadEngine.run() with 3 consumers per producer delivers sent × 3, none lost', async () => {
    const cfg = { ...config, producers: 2, consumers: 3 };
    const result = await new LoadEngine(adapter, cfg, 'run-consumers').run();
    const consumers = result.consumers;
    expect(result.errors).toEqual([]);
    expect(consumers?.dataConsumers).toBe(4 * 2 * 3);
    expect(consumers?.expected).toBe(result.sentMessages * 3);
    expect(consumers?.report.messages).toBe(result.sentMessages * 3);
    expect(consumers?.lost).toBe(0);
    expect(server.requests.filter((r) => r.method === 'consumeData')).toHaveLength(24);
    expect(server.openTransports.size).toBe(0);
  });
});

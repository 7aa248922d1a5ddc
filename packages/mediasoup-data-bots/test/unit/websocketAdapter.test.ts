// The websocket adapter against a server that answers frame by frame: "not supported" is
// told apart from a failure, and frames it cannot use are counted and reported.

import { createWebSocketAdapter, JsonWsClient } from '../../src/adapters/websocket.js';
import { NotSupportedError } from '../../src/errors.js';
import {
  startFakeWsServer,
  type FakeRequest,
  type FakeWsServer,
} from '@test-support/fakeWsServer.js';

let server: FakeWsServer;

beforeEach(async () => {
  server = await startFakeWsServer();
});

afterEach(async () => {
  await server.close();
});

function answer(request: FakeRequest, frame: Record<string, unknown>): void {
  request.socket.send(JSON.stringify({ id: request.id, ...frame }));
}

describe('createWebSocketAdapter()', () => {
  test('getReceiverStats() when the server says the method is unknown resolves undefined', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const stats = adapter.getReceiverStats?.({ runId: 'r1' });
    answer(await server.nextRequest(), { ok: false, error: 'unknown method getReceiverStats' });
    await expect(stats).resolves.toBeUndefined();
    await adapter.close?.();
  });

  test('getReceiverStats() when the server fails the request rejects with its message', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const stats = adapter.getReceiverStats?.({ runId: 'r1' });
    answer(await server.nextRequest(), { ok: false, error: 'checker crashed' });
    const error: unknown = await stats?.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NotSupportedError);
    expect((error as Error).message).toBe('checker crashed');
    await adapter.close?.();
  });

  test('getReceiverStats() when the connection drops rejects with the network error', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const stats = adapter.getReceiverStats?.({ runId: 'r1' });
    (await server.nextRequest()).socket.terminate();
    await expect(stats).rejects.toThrow(/signaling socket to ws:\/\/127\.0\.0\.1:\d+ closed/);
    await adapter.close?.();
  });

  test('getReceiverStats() when the server answers null (an unknown run) resolves undefined', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const stats = adapter.getReceiverStats?.({ runId: 'r1' });
    answer(await server.nextRequest(), { ok: true, data: null });
    await expect(stats).resolves.toBeUndefined();
    await adapter.close?.();
  });

  test('workerCpuSeconds() and closeTransport() when the server says the method is unknown reject with NotSupportedError', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const cpu = adapter.workerCpuSeconds?.();
    answer(await server.nextRequest(), { ok: false, error: 'unknown method workerCpuSeconds' });
    await expect(cpu).rejects.toBeInstanceOf(NotSupportedError);
    const closing = adapter.closeTransport?.({ transportId: 't1' });
    answer(await server.nextRequest(), { ok: false, error: 'closeTransport is not implemented' });
    await expect(closing).rejects.toBeInstanceOf(NotSupportedError);
    await adapter.close?.();
  });
});

describe('JsonWsClient', () => {
  test('request() when the server sends frames it cannot use counts them and still takes the answer', async () => {
    const client = new JsonWsClient(server.url, 60000);
    const answered = client.request('getRouterRtpCapabilities');
    const request = await server.nextRequest();
    request.socket.send('{"id": 1, "ok": tru');
    request.socket.send(JSON.stringify({ ok: true, data: 'no id' }));
    request.socket.send(JSON.stringify({ id: 999, ok: true, data: 'no such request' }));
    answer(request, { ok: true, data: { codecs: [] } });
    await expect(answered).resolves.toEqual({ codecs: [] });
    // Frames are handled in order, so the three before the answer have been seen.
    expect(client.ignoredFrames).toBe(3);
    await client.close();
  });

  test('request() when the only answer is unparsable times out naming the ignored frame', async () => {
    // Long enough for the frame to arrive first on a slow machine.
    const client = new JsonWsClient(server.url, 1000);
    const answered = client.request('createWebRtcTransport');
    (await server.nextRequest()).socket.send('<html>502 Bad Gateway</html>');
    await expect(answered).rejects.toThrow(
      /^createWebRtcTransport: no answer from .* within 1000 ms \(1 frame from the server ignored, the last: not JSON .*: <html>502 Bad Gateway<\/html>\)$/,
    );
    expect(client.ignoredFrames).toBe(1);
    await client.close();
  });
});

describe('createWebSocketAdapter() consuming', () => {
  test('consumeData() sends transportId and dataProducerId and resolves the five fields', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const consuming = adapter.consumeData?.({ transportId: 't1', dataProducerId: 'p1' });
    const request = await server.nextRequest();
    expect(request.method).toBe('consumeData');
    expect(request.data).toEqual({ transportId: 't1', dataProducerId: 'p1' });
    answer(request, {
      ok: true,
      data: { id: 'c1', sctpStreamParameters: { streamId: 3 }, label: 'l', extra: 1 },
    });
    await expect(consuming).resolves.toEqual({
      id: 'c1',
      dataProducerId: 'p1',
      sctpStreamParameters: { streamId: 3 },
      label: 'l',
      protocol: '',
    });
    await adapter.close?.();
  });

  test('consumeData() when the server says the method is unknown rejects with NotSupportedError', async () => {
    const adapter = createWebSocketAdapter({ url: server.url });
    const consuming = adapter.consumeData?.({ transportId: 't1', dataProducerId: 'p1' });
    answer(await server.nextRequest(), { ok: false, error: 'unknown method consumeData' });
    await expect(consuming).rejects.toBeInstanceOf(NotSupportedError);
    await adapter.close?.();
  });
});

// Consuming through the signaling: the websocket adapter against the local router's
// signaling server, with the library's send and recv transports.

import { Device, type DataConsumer } from 'mediasoup-data-producer';

import type { SignalingAdapter } from 'mediasoup-data-bots';
import { createWebSocketAdapter } from 'mediasoup-data-bots';
import { encodeMessage, decodeMessage } from 'mediasoup-data-bots';
import { signalThrough } from 'mediasoup-data-bots';
import { startWsSignalingServer, type WsSignalingServer } from '../support/wsSignalingServer.js';

jest.setTimeout(30000);

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

async function loadedDevice(): Promise<Device> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: await adapter.getRouterRtpCapabilities() });
  return device;
}

/** A transport whose connect (and producedata) the adapter answers. */
async function transport(device: Device, direction: 'send' | 'recv') {
  const params = await adapter.createWebRtcTransport({
    sctpCapabilities: device.sctpCapabilities,
    direction,
  });
  const t =
    direction === 'send' ? device.createSendTransport(params) : device.createRecvTransport(params);
  signalThrough(t, adapter);
  return t;
}

describe('createWebSocketAdapter() against the local router', () => {
  test('consumeData() on a recv transport answers what the client consumes and receives with', async () => {
    const device = await loadedDevice();
    const send = await transport(device, 'send');
    const producer = await send.produceData({ label: 'room', protocol: 'proto' });
    const recv = await transport(device, 'recv');

    if (!adapter.consumeData) throw new Error('the websocket adapter has consumeData');
    const answer = await adapter.consumeData({
      transportId: recv.id,
      dataProducerId: producer.id,
    });
    expect(answer).toEqual({
      id: expect.any(String) as string,
      dataProducerId: producer.id,
      sctpStreamParameters: expect.objectContaining({ streamId: 0 }) as object,
      label: 'room',
      protocol: 'proto',
    });
    const consumer: DataConsumer = await recv.consumeData(answer);
    consumer.binaryType = 'nodebuffer';
    // The router forwards only once the recv transport's SCTP association is up.
    await new Promise<void>((resolve) => {
      if (consumer.readyState === 'open') resolve();
      else consumer.once('open', resolve);
    });
    const received = new Promise<Buffer>((resolve) => {
      consumer.once('message', (m) => {
        resolve(m as Buffer);
      });
    });
    producer.send(encodeMessage(64, 7));
    expect(decodeMessage(await received)?.seq).toBe(7);
    expect(server.requests.map((r) => r.method)).toContain('consumeData');

    consumer.close();
    await adapter.closeDataConsumer?.({ dataConsumerId: answer.id });
    expect(server.router.hasDataConsumer(answer.id)).toBe(false);
    send.close();
    recv.close();
  });

  test('consumeData() for an unknown DataProducer rejects with the router error', async () => {
    const device = await loadedDevice();
    const params = await adapter.createWebRtcTransport({
      sctpCapabilities: device.sctpCapabilities,
      direction: 'recv',
    });
    await expect(
      adapter.consumeData?.({ transportId: params.id, dataProducerId: 'no-such-producer' }),
    ).rejects.toThrow(/./);
    expect(server.requests.find((r) => r.method === 'createWebRtcTransport')?.data).toMatchObject({
      direction: 'recv',
    });
  });

  test('listDataProducers() answers the open DataProducers of one room, and forgets closed ones', async () => {
    const device = await loadedDevice();
    const send = await transport(device, 'send');
    const a = await send.produceData({ label: 'a', protocol: 'p', appData: { room: 'r1' } });
    const b = await send.produceData({ label: 'b', appData: { room: 'r2' } });
    await send.produceData({ label: 'none' });
    if (!adapter.listDataProducers) throw new Error('the websocket adapter has listDataProducers');
    expect(await adapter.listDataProducers({ room: 'r1' })).toEqual([
      { id: a.id, label: 'a', protocol: 'p', appData: { room: 'r1' } },
    ]);
    expect((await adapter.listDataProducers({ room: 'r2' })).map((p) => p.id)).toEqual([b.id]);
    expect(await adapter.listDataProducers({ room: 'nobody' })).toEqual([]);
    await expect(adapter.listDataProducers({ room: 5 as unknown as string })).rejects.toThrow(
      /room must be a string/,
    );
    send.close();
    await adapter.closeTransport?.({ transportId: send.id });
    expect(await adapter.listDataProducers({ room: 'r1' })).toEqual([]);
  });
});

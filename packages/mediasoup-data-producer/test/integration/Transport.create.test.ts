import { type Transport, type types } from 'mediasoup-data-producer';

import type { LocalTransportParameters } from 'mediasoup-local-router';
import {
  type Session,
  useSessionPerFile,
  openProducer,
  signalThroughLocalRouter,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

/** A send transport on the given router parameters, signaling to the local router. */
function createSendTransport(options: types.TransportOptions): Transport {
  const transport = session.device.createSendTransport(options);
  signalThroughLocalRouter(session, transport);
  return transport;
}

/** The router's sctpParameters as mediasoup >= 3.20 gives them. */
function to320Shape(
  sctp: LocalTransportParameters['sctpParameters'],
  maxSendMessageSize: number,
): types.SctpParameters {
  if (!sctp) throw new Error('the router gave no sctpParameters');
  const { port, maxMessageSize } = sctp;
  return { port, maxSendMessageSize, maxReceiveMessageSize: Number(maxMessageSize) };
}

describe('device.createSendTransport() options', () => {
  test('device.createSendTransport() with options from another realm (structuredClone() under Jest) accepts them and delivers a message', async () => {
    const params = await session.router.createWebRtcTransport();
    const options = structuredClone(params);
    expect(Object.getPrototypeOf(options.iceParameters)).not.toBe(Object.prototype);
    const transport = createSendTransport(options);

    const dataProducer = await openProducer(transport, structuredClone({ label: 'realm' }));
    dataProducer.send('from another realm');

    const [message] = await session.router.waitForMessages(1, {
      dataProducerId: dataProducer.id,
    });
    expect(message?.data.toString()).toBe('from another realm');
  });
});

describe('device.createSendTransport() sctpParameters shapes', () => {
  test('device.createSendTransport() with mediasoup 3.20 sctpParameters { port, maxSendMessageSize, maxReceiveMessageSize } delivers a message end to end', async () => {
    const params = await session.router.createWebRtcTransport();
    expect(params.sctpParameters).toMatchObject({ maxMessageSize: 262144 });
    const sctpParameters = to320Shape(params.sctpParameters, 262144);
    expect(Object.keys(sctpParameters).sort()).toEqual([
      'maxReceiveMessageSize',
      'maxSendMessageSize',
      'port',
    ]);
    const transport = createSendTransport({ ...params, sctpParameters });

    const dataProducer = await openProducer(transport, { label: 'shape-3.20' });
    dataProducer.send('over the 3.20 shape');

    const [message] = await session.router.waitForMessages(1, {
      dataProducerId: dataProducer.id,
    });
    expect(message?.data.toString()).toBe('over the 3.20 shape');
  });

  test.each([
    ['mediasoup 3.8 maxMessageSize', (p: LocalTransportParameters) => p.sctpParameters],
    [
      'mediasoup 3.20 maxReceiveMessageSize (maxSendMessageSize larger)',
      (p: LocalTransportParameters) => to320Shape(p.sctpParameters, 262144),
    ],
  ])(
    'dataProducer.send() with %s sends messages up to the router receive limit and throws TypeError for limit+1 bytes',
    async (_shape, sctpParametersOf) => {
      const limit = 65536;
      const params = await session.router.createWebRtcTransport({ maxSctpMessageSize: limit });
      const transport = createSendTransport({
        ...params,
        sctpParameters: sctpParametersOf(params),
      });
      const dataProducer = await openProducer(transport);

      expect(() => {
        dataProducer.send(new Uint8Array(limit + 1));
      }).toThrow(TypeError);
      expect(() => {
        dataProducer.send('x'.repeat(limit + 1));
      }).toThrow(TypeError);
      dataProducer.send(new Uint8Array(limit).fill(7));

      const [message] = await session.router.waitForMessages(1, {
        dataProducerId: dataProducer.id,
      });
      expect(message?.data.length).toBe(limit);
      expect(message?.data.every((byte) => byte === 7)).toBe(true);
    },
  );
});

// node-datachannel's handler takes ICE servers only before its peer connection exists.
import { UnsupportedError, type types } from 'mediasoup-data-producer';

import {
  createTransport,
  once,
  type Session,
  useSessionPerFile,
  openProducer,
} from '@test-support/session.js';

// One real router for the file; each test's transports are closed after it.
let session!: Session;
useSessionPerFile((started) => (session = started));

const STUN: types.IceServer = { urls: 'stun:127.0.0.1:3478' };

describe('transport.updateIceServers()', () => {
  // That the servers are then used is shown with a TURN server in Transport.turn.test.ts.
  test('transport.updateIceServers() before the first produceData() resolves and the transport still delivers', async () => {
    const transport = await createTransport(session);

    await transport.updateIceServers({ iceServers: [STUN] });
    const dataProducer = await openProducer(transport);
    dataProducer.send('after updateIceServers');

    const [message] = await session.router.waitForMessages(1, {
      dataProducerId: dataProducer.id,
    });
    expect(message?.data.toString()).toBe('after updateIceServers');
  });

  test('transport.updateIceServers() after the first produceData() rejects with UnsupportedError', async () => {
    const transport = await createTransport(session);
    await transport.produceData();

    const update = transport.updateIceServers({ iceServers: [STUN] });

    await expect(update).rejects.toThrow(UnsupportedError);
    await expect(update).rejects.toThrow(/before the transport starts connecting/);
  });

  test('transport.updateIceServers() while the first produceData() waits for connect rejects with UnsupportedError', async () => {
    const params = await session.router.createWebRtcTransport();
    const transport = session.device.createSendTransport(params);
    session.transports.push(transport);
    const asked = once(transport, 'connect');
    transport.on('connect', () => undefined);
    transport.on('producedata', () => undefined);
    const pending = transport.produceData();
    pending.catch(() => undefined);
    await asked;

    await expect(transport.updateIceServers({ iceServers: [STUN] })).rejects.toThrow(
      UnsupportedError,
    );
  });
});

describe('transport.iceGatheringState', () => {
  test("transport.iceGatheringState goes from 'new' to 'gathering' (after connect) to 'complete', each emitted once as icegatheringstatechange", async () => {
    const transport = await createTransport(session);
    const log: string[] = [];
    transport.on('icegatheringstatechange', (state) => {
      log.push(`${state} (getter ${transport.iceGatheringState})`);
    });
    transport.on('connect', () => log.push('connect'));
    expect(transport.iceGatheringState).toBe('new');

    await openProducer(transport);
    if (transport.iceGatheringState !== 'complete') {
      await once(transport, 'icegatheringstatechange');
    }

    expect(log).toEqual(['connect', 'gathering (getter gathering)', 'complete (getter complete)']);
  });
});

// restartIce() and updateIceServers() on FakeHandler, which takes ICE servers only before the
// transport starts connecting, as node-datachannel's handler does; the ICE gathering state.
import {
  InvalidStateError,
  UnsupportedError,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import {
  useFakeApps,
  fakeApp,
  rejectionOf,
  routerDataConsumer,
  routerTransportParameters,
  turns,
} from '@test-support/fakeSession.js';

useFakeApps();

const STUN: types.IceServer = { urls: 'stun:127.0.0.1:3478' };

describe('transport.restartIce()', () => {
  test('transport.restartIce() on a connected transport rejects with UnsupportedError explaining that libdatachannel has no ICE restart, and the transport stays connected', async () => {
    const { transport } = await fakeApp();
    await transport.produceData();
    await new Promise((resolve) => setImmediate(resolve));

    const error = await rejectionOf(
      transport.restartIce({ iceParameters: routerTransportParameters().iceParameters }),
    );

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(/libdatachannel.*no ICE restart/);
    expect(transport.connectionState).toBe('connected');
  });

  test('transport.restartIce() on a new transport rejects with UnsupportedError too', async () => {
    const { transport } = await fakeApp();

    expect(await rejectionOf(transport.restartIce())).toBeInstanceOf(UnsupportedError);
  });

  test('transport.restartIce() after close() rejects with InvalidStateError', async () => {
    const { transport } = await fakeApp();
    transport.close();

    expect(await rejectionOf(transport.restartIce())).toEqual(
      new InvalidStateError('transport is closed'),
    );
  });
});

describe('transport.updateIceServers()', () => {
  test('transport.updateIceServers() before the first produceData() gives the handler the validated servers', async () => {
    const { transport, handler } = await fakeApp({ client: { iceServers: [STUN] } });
    expect(handler.iceServers).toEqual([{ urls: ['stun:127.0.0.1:3478'] }]);

    await transport.updateIceServers({
      iceServers: [{ urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'p' }],
    });

    expect(handler.iceServers).toEqual([
      { urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'p' },
    ]);
  });

  test('transport.updateIceServers() with [] removes every server', async () => {
    const { transport, handler } = await fakeApp({ client: { iceServers: [STUN] } });

    await transport.updateIceServers({ iceServers: [] });

    expect(handler.iceServers).toEqual([]);
  });

  test("transport.updateIceServers() after the first produceData() rejects with the handler's UnsupportedError and keeps the servers", async () => {
    const { transport, handler } = await fakeApp({ client: { iceServers: [STUN] } });
    await transport.produceData();

    const error = await rejectionOf(transport.updateIceServers({ iceServers: [] }));

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(
      /^updateIceServers\(\) only takes effect before the transport starts connecting/,
    );
    expect(handler.iceServers).toEqual([{ urls: ['stun:127.0.0.1:3478'] }]);
  });

  test.each([
    ['options undefined', undefined],
    ['no iceServers (mediasoup-client requires the array)', {}],
    ['iceServers a string', { iceServers: 'stun:127.0.0.1' }],
    ['an http: URL', { iceServers: [{ urls: 'http://127.0.0.1' }] }],
    ['TURN without credentials', { iceServers: [{ urls: 'turn:127.0.0.1:3478' }] }],
    ['a URL without host', { iceServers: [{ urls: ['stun:'] }] }],
  ])(
    'transport.updateIceServers() with %s rejects with TypeError and keeps the servers',
    async (_label, options) => {
      const { transport, handler } = await fakeApp({ client: { iceServers: [STUN] } });

      const error = await rejectionOf(
        transport.updateIceServers(options as unknown as { iceServers: types.IceServer[] }),
      );

      expect(error).toBeInstanceOf(TypeError);
      expect(handler.iceServers).toEqual([{ urls: ['stun:127.0.0.1:3478'] }]);
    },
  );

  test('transport.updateIceServers() with bad servers after the first produceData() rejects with TypeError: the arguments are checked before the handler', async () => {
    const { transport } = await fakeApp();
    await transport.produceData();

    const error = await rejectionOf(
      transport.updateIceServers({ iceServers: [{ urls: 'http://127.0.0.1' }] }),
    );

    expect(error).toBeInstanceOf(TypeError);
  });

  test('transport.updateIceServers() after close() rejects with InvalidStateError', async () => {
    const { transport } = await fakeApp();
    transport.close();

    expect(await rejectionOf(transport.updateIceServers({ iceServers: [] }))).toEqual(
      new InvalidStateError('transport is closed'),
    );
  });
});

describe('transport.iceGatheringState', () => {
  /** Every `icegatheringstatechange`, with the getter's value when it was emitted. */
  function recordGathering(transport: Transport): string[] {
    const log: string[] = [];
    transport.on('icegatheringstatechange', (state) => {
      log.push(`${state} (getter ${transport.iceGatheringState})`);
    });
    transport.on('connect', () => log.push('connect'));
    return log;
  }

  test("transport.iceGatheringState is 'new' until the first produceData(), which emits connect and then gathers and completes, each change emitted once", async () => {
    const { transport } = await fakeApp();
    const log = recordGathering(transport);
    expect(transport.iceGatheringState).toBe('new');

    await transport.produceData();
    await transport.produceData();
    await turns();

    expect(log).toEqual(['connect', 'gathering (getter gathering)', 'complete (getter complete)']);
    expect(transport.iceGatheringState).toBe('complete');
  });

  test("a recv transport's first consumeData() gathers as a send transport's produceData() does", async () => {
    const { transport } = await fakeApp({ direction: 'recv' });
    const log = recordGathering(transport);

    await transport.consumeData(routerDataConsumer(0));
    await turns();

    expect(log).toEqual(['connect', 'gathering (getter gathering)', 'complete (getter complete)']);
  });

  test('transport.iceGatheringState follows what the handler reports, and nothing is emitted after close()', async () => {
    const { transport, handler } = await fakeApp({ handler: { autoConnect: false } });
    const log = recordGathering(transport);
    await transport.produceData();
    await turns();

    handler.setIceGatheringState('complete');
    transport.close();
    handler.setIceGatheringState('gathering');

    expect(log).toEqual(['connect', 'gathering (getter gathering)', 'complete (getter complete)']);
    expect(transport.iceGatheringState).toBe('complete');
  });
});

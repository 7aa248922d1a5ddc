// consumeData()'s guards, their order, its arguments and its serialization, and
// createRecvTransport(), on FakeHandler: no router needed.
import {
  Device,
  FakeHandler,
  InvalidStateError,
  OperationError,
  UnsupportedError,
  type DataConsumer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { deepFreeze, isDeepFrozen } from '@test-support/deepFreeze.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  fakeDevice,
  handlerOf,
  rejectionOf,
  routerDataConsumer,
  routerTransportParameters,
  turns,
} from '@test-support/fakeSession.js';
import { thrownBy } from '@test-support/outcomes.js';

useFakeApps();

/** A recv transport on FakeHandler whose app answers connect at once. */
async function recvTransport(
  options: { client?: Partial<types.TransportOptions>; handler?: types.FakeHandlerOptions } = {},
): Promise<Transport> {
  return (await fakeApp({ ...options, direction: 'recv' })).transport;
}

/** A recv transport with no listeners: the guards see it as the user left it. */
async function bareRecvTransport(
  options: Partial<types.TransportOptions> = {},
): Promise<Transport> {
  return (await fakeApp({ client: options, answer: false, direction: 'recv' })).transport;
}

function consumeWith(transport: Transport, options: unknown): Promise<DataConsumer> {
  return transport.consumeData(options as types.DataConsumerOptions);
}

function described(error: unknown): string {
  return `${(error as Error).name}: ${(error as Error).message}`;
}

const BAD_ARGUMENTS = { id: 5, dataProducerId: 'dp', sctpStreamParameters: { streamId: 0 } };

describe('device.createRecvTransport()', () => {
  test("device.createRecvTransport() with the router's parameters returns a transport whose direction is 'recv'", async () => {
    const device = await fakeDevice();

    const transport = device.createRecvTransport(routerTransportParameters());

    expect(transport.direction).toBe('recv');
    expect(transport.connectionState).toBe('new');
    expect(handlerOf(transport).runOptions?.direction).toBe('recv');
    transport.close();
  });

  test('device.createRecvTransport() with options that are not a plain object throws TypeError naming createRecvTransport()', async () => {
    const device = await fakeDevice();

    expect(() => device.createRecvTransport(null as unknown as types.TransportOptions)).toThrow(
      new TypeError('createRecvTransport() options must be a plain object'),
    );
  });

  test.each([
    ['iceParameters', { iceParameters: { usernameFragment: '', password: 'x' } }],
    ['dtlsParameters', { dtlsParameters: { fingerprints: [] } }],
    ['sctpParameters', { sctpParameters: { port: 0, maxMessageSize: 1 } }],
    ['signalingTimeout', { signalingTimeout: -1 }],
  ])(
    'device.createRecvTransport() with a bad %s throws the TypeError createSendTransport() throws',
    async (_field, overrides) => {
      const device = await fakeDevice();
      const parameters = { ...routerTransportParameters(), ...overrides } as types.TransportOptions;

      const sendError = thrownBy(() => device.createSendTransport(parameters));
      const recvError = thrownBy(() => device.createRecvTransport(parameters));

      expect(recvError).toBeInstanceOf(TypeError);
      expect(described(recvError)).toBe(described(sendError));
    },
  );

  test('device.createRecvTransport() on a device not loaded throws InvalidStateError', () => {
    const device = new Device({ handlerFactory: FakeHandler.createFactory() });

    expect(() => device.createRecvTransport(routerTransportParameters())).toThrow(
      InvalidStateError,
    );
  });

  test("device.createRecvTransport() emits the device observer's newtransport with the transport", async () => {
    const device = await fakeDevice();
    const seen: Transport[] = [];
    device.observer.on('newtransport', (transport) => seen.push(transport));

    const transport = device.createRecvTransport(routerTransportParameters());

    expect(seen).toEqual([transport]);
    transport.close();
  });
});

describe('transport.consumeData() guards', () => {
  test('transport.consumeData() on a closed transport rejects with InvalidStateError', async () => {
    const transport = await recvTransport();
    transport.close();

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(0)));

    expect(described(error)).toBe('InvalidStateError: transport is closed');
  });

  test('transport.consumeData() on a send transport rejects with UnsupportedError', async () => {
    const { transport } = await fakeApp();

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(0)));

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toBe(
      'consumeData() needs a recv transport: this is a send transport',
    );
  });

  test('transport.produceData() on a recv transport rejects with UnsupportedError and emits nothing', async () => {
    const transport = await recvTransport();
    const emitted: string[] = [];
    transport.on('connect', () => emitted.push('connect'));
    transport.on('producedata', (_parameters, callback) => {
      emitted.push('producedata');
      callback({ id: 'never' });
    });

    const error = await rejectionOf(transport.produceData());

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toBe(
      'produceData() needs a send transport: this is a recv transport',
    );
    expect(emitted).toEqual([]);
  });

  test('transport.consumeData() on a transport without sctpParameters rejects with UnsupportedError', async () => {
    const transport = await recvTransport({ client: { sctpParameters: undefined } });

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(0)));

    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(/sctpParameters/);
  });

  test("transport.consumeData() without a 'connect' listener while connectionState is 'new' rejects with TypeError", async () => {
    const transport = await bareRecvTransport();

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(0)));

    expect(described(error)).toBe('TypeError: no "connect" listener set on this transport');
  });

  test("transport.consumeData() without a 'connect' listener once connected resolves", async () => {
    const transport = await recvTransport();
    await transport.consumeData(routerDataConsumer(0));
    transport.removeAllListeners('connect');

    const second = await transport.consumeData(routerDataConsumer(1));

    expect(second.sctpStreamParameters.streamId).toBe(1);
  });

  test('transport.consumeData() on a failed transport rejects with InvalidStateError', async () => {
    const transport = await recvTransport();
    transport.handler.emit('@connectionstatechange', 'failed');

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(0)));

    expect(described(error)).toBe(
      'InvalidStateError: transport connection failed: close it and create a new one',
    );
  });

  test('transport.consumeData() guards run in order: closed, send transport, failed, no SCTP, no connect listener, then arguments', async () => {
    // Each transport fails every check from its own on: only the first may decide the error.
    const { transport: sendThenClosed } = await fakeApp({
      client: { sctpParameters: undefined },
      answer: false,
    });
    sendThenClosed.handler.emit('@connectionstatechange', 'failed');
    sendThenClosed.close();
    const { transport: send } = await fakeApp({
      client: { sctpParameters: undefined },
      answer: false,
    });
    send.handler.emit('@connectionstatechange', 'failed');
    const failed = await bareRecvTransport({ sctpParameters: undefined });
    failed.handler.emit('@connectionstatechange', 'failed');
    const noSctp = await bareRecvTransport({ sctpParameters: undefined });
    const noConnectListener = await bareRecvTransport();
    const badArgumentsOnly = await recvTransport();

    const errors = await Promise.all(
      [sendThenClosed, send, failed, noSctp, noConnectListener, badArgumentsOnly].map((transport) =>
        rejectionOf(consumeWith(transport, BAD_ARGUMENTS)),
      ),
    );

    expect(errors.map(described)).toEqual([
      'InvalidStateError: transport is closed',
      'UnsupportedError: consumeData() needs a recv transport: this is a send transport',
      'InvalidStateError: transport connection failed: close it and create a new one',
      'UnsupportedError: SCTP is not enabled by the remote transport (no sctpParameters)',
      'TypeError: no "connect" listener set on this transport',
      'TypeError: id must be a non-empty string',
    ]);
    expect(errors[0]).toBeInstanceOf(InvalidStateError);
    expect(errors[1]).toBeInstanceOf(UnsupportedError);
  });

  test('transport.consumeData() rejected by a guard emits no connect and makes no channel', async () => {
    const transport = await recvTransport();
    let connects = 0;
    transport.on('connect', () => connects++);

    await expect(consumeWith(transport, BAD_ARGUMENTS)).rejects.toThrow(TypeError);

    expect(connects).toBe(0);
    expect(handlerOf(transport).dataChannels).toEqual([]);
    expect(transport.connectionState).toBe('new');
  });
});

describe('transport.consumeData() arguments', () => {
  const streamIdMessage = 'sctpStreamParameters.streamId must be an integer from 0 to 65534';
  const cases: [string, Record<string, unknown>, string][] = [
    ['no options', {}, 'id must be a non-empty string'],
    ['an empty id', { id: '' }, 'id must be a non-empty string'],
    ['a numeric id', { id: 1 }, 'id must be a non-empty string'],
    [
      'no dataProducerId',
      { dataProducerId: undefined },
      'dataProducerId must be a non-empty string',
    ],
    [
      'a null dataProducerId',
      { dataProducerId: null },
      'dataProducerId must be a non-empty string',
    ],
    [
      'no sctpStreamParameters',
      { sctpStreamParameters: undefined },
      "sctpStreamParameters must be an object: the router's dataConsumer.sctpStreamParameters (a DataConsumer of type 'direct' has none and cannot be consumed here)",
    ],
    [
      'sctpStreamParameters as an array',
      { sctpStreamParameters: [0] },
      "sctpStreamParameters must be an object: the router's dataConsumer.sctpStreamParameters (a DataConsumer of type 'direct' has none and cannot be consumed here)",
    ],
    ['no streamId', { sctpStreamParameters: { ordered: true } }, streamIdMessage],
    ['streamId -1', { sctpStreamParameters: { streamId: -1 } }, streamIdMessage],
    ['streamId 1.5', { sctpStreamParameters: { streamId: 1.5 } }, streamIdMessage],
    ["streamId '1'", { sctpStreamParameters: { streamId: '1' } }, streamIdMessage],
    ['streamId 65535', { sctpStreamParameters: { streamId: 65535 } }, streamIdMessage],
    [
      'streamId 1024 on a transport of 1024 streams',
      { sctpStreamParameters: { streamId: 1024 } },
      'sctpStreamParameters.streamId must be below 1024, the SCTP streams of this transport',
    ],
    [
      "ordered 'yes'",
      { sctpStreamParameters: { streamId: 0, ordered: 'yes' } },
      'sctpStreamParameters.ordered must be a boolean',
    ],
    [
      'maxPacketLifeTime -1',
      { sctpStreamParameters: { streamId: 0, ordered: false, maxPacketLifeTime: -1 } },
      'sctpStreamParameters.maxPacketLifeTime must be an integer from 0 to 65535',
    ],
    [
      'maxRetransmits null',
      { sctpStreamParameters: { streamId: 0, ordered: false, maxRetransmits: null } },
      'sctpStreamParameters.maxRetransmits must be an integer from 0 to 65535',
    ],
    [
      'both maxPacketLifeTime and maxRetransmits',
      { sctpStreamParameters: { streamId: 0, maxPacketLifeTime: 10, maxRetransmits: 1 } },
      'sctpStreamParameters.maxPacketLifeTime and sctpStreamParameters.maxRetransmits cannot both be given',
    ],
    ['a numeric label', { label: 1 }, 'label must be a string'],
    [
      'a label of 65536 bytes',
      { label: 'a'.repeat(65536) },
      'label must be at most 65535 bytes in UTF-8',
    ],
    ['a protocol object', { protocol: {} }, 'protocol must be a string'],
    ['an array appData', { appData: [] }, 'appData must be a plain object'],
    [
      "binaryType 'text'",
      { binaryType: 'text' },
      "binaryType must be 'arraybuffer', 'blob' or 'nodebuffer', got 'text'",
    ],
  ];

  test.each(cases)(
    'transport.consumeData() with %s rejects with TypeError naming the field',
    async (_label, overrides, message) => {
      const transport = await recvTransport();
      const options = _label === 'no options' ? {} : { ...routerDataConsumer(0), ...overrides };

      const error = await rejectionOf(consumeWith(transport, options));

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(message);
    },
  );

  test('transport.consumeData() with options that are not a plain object rejects with TypeError', async () => {
    const transport = await recvTransport();

    await expect(consumeWith(transport, 'options')).rejects.toThrow(
      new TypeError('consumeData() options must be a plain object'),
    );
  });

  test("transport.consumeData() with mediasoup 3.27's undefined maxPacketLifeTime and maxRetransmits keys resolves without them", async () => {
    const transport = await recvTransport();

    const dataConsumer = await transport.consumeData(
      routerDataConsumer(3, {
        sctpStreamParameters: {
          streamId: 3,
          ordered: true,
          maxPacketLifeTime: undefined,
          maxRetransmits: undefined,
        },
      }),
    );

    expect(dataConsumer.sctpStreamParameters).toStrictEqual({ streamId: 3, ordered: true });
  });

  test.each([
    [{ streamId: 0, ordered: false, maxRetransmits: 0 }],
    [{ streamId: 1, ordered: false, maxPacketLifeTime: 65535 }],
    [{ streamId: 2, ordered: true, maxRetransmits: 3 }],
  ])(
    'transport.consumeData() with sctpStreamParameters %j keeps them and makes the channel with them',
    async (sctpStreamParameters) => {
      const transport = await recvTransport();

      const dataConsumer = await transport.consumeData(
        routerDataConsumer(sctpStreamParameters.streamId, { sctpStreamParameters }),
      );
      const channel = channelOf(transport, dataConsumer);

      expect(dataConsumer.sctpStreamParameters).toStrictEqual(sctpStreamParameters);
      expect({
        streamId: channel.streamId,
        ordered: channel.ordered,
        maxPacketLifeTime: channel.maxPacketLifeTime,
        maxRetransmits: channel.maxRetransmits,
      }).toEqual({
        maxPacketLifeTime: undefined,
        maxRetransmits: undefined,
        ...sctpStreamParameters,
      });
    },
  );

  test('transport.consumeData() without ordered defaults to ordered, and to unordered with maxRetransmits', async () => {
    const transport = await recvTransport();

    const reliable = await transport.consumeData(
      routerDataConsumer(0, {
        sctpStreamParameters: { streamId: 0 },
      }),
    );
    const partial = await transport.consumeData(
      routerDataConsumer(1, {
        sctpStreamParameters: { streamId: 1, maxRetransmits: 2 },
      }),
    );

    expect(reliable.sctpStreamParameters.ordered).toBe(true);
    expect(partial.sctpStreamParameters.ordered).toBe(false);
  });

  test('transport.consumeData() without label, protocol and appData resolves with empty ones', async () => {
    const transport = await recvTransport();

    const dataConsumer = await transport.consumeData({
      id: 'dc',
      dataProducerId: 'dp',
      sctpStreamParameters: { streamId: 0, ordered: true },
    });

    expect([dataConsumer.label, dataConsumer.protocol, dataConsumer.appData]).toEqual(['', '', {}]);
    expect(channelOf(transport, dataConsumer).label).toBe('');
  });

  test('transport.consumeData() with deep-frozen options resolves, leaves them frozen and keeps appData by reference', async () => {
    const transport = await recvTransport();
    const appData = { room: 'lobby', nested: { n: 1 } };
    const options = deepFreeze({
      ...routerDataConsumer(7, {
        sctpStreamParameters: { streamId: 7, ordered: false, maxRetransmits: 4 },
      }),
      appData,
    });

    const dataConsumer = await transport.consumeData(options);

    expect(isDeepFrozen(options)).toBe(true);
    expect(dataConsumer.appData).toBe(appData);
    expect(dataConsumer.sctpStreamParameters).toEqual(options.sctpStreamParameters);
    expect(dataConsumer.sctpStreamParameters).not.toBe(options.sctpStreamParameters);
  });

  test("transport.consumeData() keeps a copy of sctpStreamParameters: the caller's later changes do not reach it", async () => {
    const transport = await recvTransport();
    const options = routerDataConsumer(2);

    const dataConsumer = await transport.consumeData(options);
    options.sctpStreamParameters.streamId = 9;

    expect(dataConsumer.sctpStreamParameters.streamId).toBe(2);
  });
});

describe('transport.consumeData() signaling and streams', () => {
  test('transport.consumeData() emits connect on the first call only and resolves DataConsumers with the given ids', async () => {
    const app = await fakeApp({ direction: 'recv' });

    const first = await app.transport.consumeData(routerDataConsumer(0, { id: 'dc-0' }));
    const second = await app.transport.consumeData(
      routerDataConsumer(5, { id: 'dc-5', dataProducerId: 'dp-5' }),
    );

    expect(app.connects).toHaveLength(1);
    expect(app.connects[0]?.fingerprints[0]?.algorithm).toBe('sha-256');
    expect([first.id, second.id, second.dataProducerId]).toEqual(['dc-0', 'dc-5', 'dp-5']);
    expect(handlerOf(app.transport).dataChannels.map((c) => c.streamId)).toEqual([0, 5]);
  });

  test("transport.consumeData() emits the observer's newdataconsumer with the DataConsumer before it resolves", async () => {
    const transport = await recvTransport();
    const seen: DataConsumer[] = [];
    transport.observer.on('newdataconsumer', (dataConsumer) => seen.push(dataConsumer));

    const dataConsumer = await transport.consumeData(routerDataConsumer(0));

    expect(seen).toEqual([dataConsumer]);
  });

  test('transport.consumeData() calls made at once are serialized: one connect, DataConsumers in call order', async () => {
    const app = await fakeApp({ direction: 'recv', answer: false });
    const order: string[] = [];
    app.transport.on('connect', (_parameters, callback) => {
      order.push('connect');
      // Answered late: the second call must wait for the first one's connect.
      setTimeout(callback, 20);
    });

    const consumers = await Promise.all(
      [4, 2, 9].map((streamId) =>
        app.transport.consumeData(routerDataConsumer(streamId)).then((dataConsumer) => {
          order.push(`stream ${dataConsumer.sctpStreamParameters.streamId}`);
          return dataConsumer;
        }),
      ),
    );

    expect(order).toEqual(['connect', 'stream 4', 'stream 2', 'stream 9']);
    expect(consumers.map((c) => c.closed)).toEqual([false, false, false]);
  });

  test('transport.consumeData() on a stream id a live DataConsumer holds rejects with OperationError', async () => {
    const transport = await recvTransport();
    await transport.consumeData(routerDataConsumer(6));

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(6)));

    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toMatch(/^stream id 6 is in use by another DataConsumer/);
    expect(handlerOf(transport).dataChannels).toHaveLength(1);
  });

  test('transport.consumeData() on the stream id of a closed DataConsumer resolves with a new channel', async () => {
    const transport = await recvTransport();
    const first = await transport.consumeData(routerDataConsumer(6));
    first.close();

    const second = await transport.consumeData(routerDataConsumer(6));

    const channels = handlerOf(transport).dataChannels;
    expect(channels.map((c) => c.streamId)).toEqual([6, 6]);
    expect(channels[0]?.closedLocally).toBe(true);
    expect(channelOf(transport, second)).toBe(channels[1]);
  });

  test('transport.consumeData() on the stream id of a DataConsumer the router closed resolves', async () => {
    const transport = await recvTransport();
    const first = await transport.consumeData(routerDataConsumer(1));
    channelOf(transport, first).simulateClose();
    await turns();

    const second = await transport.consumeData(routerDataConsumer(1));

    expect(first.closed).toBe(true);
    expect(second.closed).toBe(false);
  });

  test('transport.consumeData() whose connect errback is called rejects with that error and frees the stream id', async () => {
    const app = await fakeApp({ direction: 'recv', answer: false });
    let calls = 0;
    app.transport.on('connect', (_parameters, callback, errback) => {
      calls++;
      if (calls === 1) errback(new Error('the server refused'));
      else callback();
    });

    const error = await rejectionOf(app.transport.consumeData(routerDataConsumer(3)));
    const retried = await app.transport.consumeData(routerDataConsumer(3));

    expect(described(error)).toBe('Error: the server refused');
    expect(retried.sctpStreamParameters.streamId).toBe(3);
    expect(handlerOf(app.transport).dataChannels[0]?.closed).toBe(true);
  });

  test('transport.consumeData() whose channel the native stack refuses rejects with OperationError and frees the stream id', async () => {
    const transport = await recvTransport();
    handlerOf(transport).refuseNextChannel('no more channels');

    const error = await rejectionOf(transport.consumeData(routerDataConsumer(2)));
    const retried = await transport.consumeData(routerDataConsumer(2));

    expect(described(error)).toBe(
      'OperationError: could not create the SCTP channel: no more channels',
    );
    expect(retried.closed).toBe(false);
  });

  test('transport.consumeData() pending on connect when the transport closes rejects with InvalidStateError', async () => {
    const app = await fakeApp({ direction: 'recv', answer: false });
    app.transport.on('connect', () => {
      // never answered
    });
    const pending = rejectionOf(app.transport.consumeData(routerDataConsumer(0)));
    await turns();

    app.transport.close();

    expect(described(await pending)).toBe('InvalidStateError: transport is closed');
    expect(handlerOf(app.transport).dataChannels[0]?.closed).toBe(true);
  });

  test('transport.consumeData() whose channel the router reset before it resolved resolves a DataConsumer that emits error then close', async () => {
    const app = await fakeApp({ direction: 'recv', answer: false });
    app.transport.on('connect', (_parameters, callback) => {
      handlerOf(app.transport).dataChannels[0]?.simulateClose();
      setImmediate(callback);
    });

    const dataConsumer = await app.transport.consumeData(routerDataConsumer(0));
    const events: string[] = [];
    dataConsumer.on('error', (error) => events.push(`error: ${error.message}`));
    dataConsumer.on('close', () => events.push('close'));
    dataConsumer.observer.on('close', () => events.push('observer close'));
    await turns();

    expect(events).toEqual([
      'error: DataConsumer closed before it opened',
      'close',
      'observer close',
    ]);
  });
});

describe('transport.getStats() of a recv transport', () => {
  test('transport.getStats() has one data-channel entry per DataConsumer with the messages and bytes received', async () => {
    const transport = await recvTransport();
    const dataConsumer = await transport.consumeData(
      routerDataConsumer(4, { id: 'dc-4', dataProducerId: 'dp-4', label: 'l', protocol: 'p' }),
    );
    const channel = channelOf(transport, dataConsumer);
    channel.simulateMessage('héllo');
    channel.simulateMessage(Buffer.from([1, 2, 3]));
    channel.simulateMessage('');
    await turns();

    const stats = await transport.getStats();

    expect(stats.get('D4')).toEqual({
      id: 'D4',
      type: 'data-channel',
      timestamp: expect.any(Number) as number,
      dataConsumerId: 'dc-4',
      dataProducerId: 'dp-4',
      label: 'l',
      protocol: 'p',
      dataChannelIdentifier: 4,
      state: 'open',
      messagesReceived: 3,
      bytesReceived: 9,
    });
    expect(stats.get('T01')?.type).toBe('transport');
  });

  test('transport.getStats() leaves out a closed DataConsumer', async () => {
    const transport = await recvTransport();
    const dataConsumer = await transport.consumeData(routerDataConsumer(4));
    dataConsumer.close();

    const stats = await transport.getStats();

    expect([...stats.values()].filter((s) => s.type === 'data-channel')).toEqual([]);
  });
});

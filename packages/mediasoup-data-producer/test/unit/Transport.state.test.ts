// The transport's state on FakeHandler: its properties, close() and its order, the connection
// states the handler reports, and what a connection failure does to producers and to pending
// produceData() calls.
import {
  InvalidStateError,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

import { once } from '@test-support/events.js';
import {
  useFakeApps,
  fakeApp,
  recordProducerEvents,
  rejectionOf,
  routerTransportParameters,
  turns,
} from '@test-support/fakeSession.js';

useFakeApps();

/** Every `connectionstatechange` from now on. */
function recordStates(transport: Transport): types.ConnectionState[] {
  const states: types.ConnectionState[] = [];
  transport.on('connectionstatechange', (state) => states.push(state));
  return states;
}

describe('transport properties', () => {
  test("transport.id, closed, direction and connectionState are the router's id, false, 'send' and 'new'", async () => {
    const params = routerTransportParameters();
    const { transport } = await fakeApp({ client: { id: params.id } });

    expect(transport.id).toBe(params.id);
    expect(transport.closed).toBe(false);
    expect(transport.direction).toBe('send');
    expect(transport.connectionState).toBe('new');
  });

  test('transport.appData is {} by default, the given object otherwise, and can be replaced', async () => {
    const appData = { room: 'a' };
    const plain = await fakeApp();
    const withAppData = await fakeApp({ client: { appData } });

    expect(plain.transport.appData).toEqual({});
    expect(withAppData.transport.appData).toBe(appData);
    withAppData.transport.appData = { room: 'b' };
    expect(withAppData.transport.appData).toEqual({ room: 'b' });
  });

  test("transport.handler is the transport's own handler, run once with the validated router parameters", async () => {
    const params = routerTransportParameters();
    const a = await fakeApp({ client: params });
    const b = await fakeApp();

    expect(a.transport.handler).toBe(a.handler);
    expect(a.handler).not.toBe(b.handler);
    expect(a.handler.name).toBe('FakeHandler');
    expect(a.handler.runOptions).toEqual({
      direction: 'send',
      id: params.id,
      iceParameters: params.iceParameters,
      iceCandidates: params.iceCandidates,
      dtlsParameters: params.dtlsParameters,
      sctpParameters: { port: 5000, maxMessageSize: 262144, maxStreams: 1024 },
      iceServers: [],
      iceTransportPolicy: 'all',
    });
  });

  test('transport.handler gets the smaller of 1024 and the router OS and MIS as maxStreams, and maxReceiveMessageSize over maxMessageSize', async () => {
    const { handler } = await fakeApp({
      client: {
        sctpParameters: {
          port: 5001,
          OS: 300,
          MIS: 200,
          maxMessageSize: 1000,
          maxReceiveMessageSize: 2000,
        },
      },
    });

    expect(handler.runOptions?.sctpParameters).toEqual({
      port: 5001,
      maxMessageSize: 2000,
      maxStreams: 200,
    });
  });
});

describe('connectionState', () => {
  test("transport.produceData() the first time moves connectionState from 'new' to 'connecting' to 'connected' with connectionstatechange events", async () => {
    const { transport } = await fakeApp();
    const states = recordStates(transport);

    await transport.produceData();
    await turns();

    expect(states).toEqual(['connecting', 'connected']);
    expect(transport.connectionState).toBe('connected');
  });

  test('transport.connectionState follows every state the handler reports, and a repeated state is not emitted again', async () => {
    const { transport, handler } = await fakeApp({ handler: { autoConnect: false } });
    await transport.produceData();
    const states = recordStates(transport);

    for (const state of ['connected', 'disconnected', 'disconnected', 'connected'] as const) {
      handler.setConnectionState(state);
    }

    expect(states).toEqual(['connected', 'disconnected', 'connected']);
    expect(transport.connectionState).toBe('connected');
  });
});

describe('transport.close()', () => {
  test("transport.close() twice closes it once: observer close once, closed true, connectionState 'closed' with no connectionstatechange, and the handler closed", async () => {
    const { transport, handler } = await fakeApp();
    await transport.produceData();
    await turns();
    const states = recordStates(transport);
    let closes = 0;
    transport.observer.on('close', () => closes++);

    transport.close();
    transport.close();
    handler.emit('@connectionstatechange', 'failed');
    await turns();

    expect(closes).toBe(1);
    expect(transport.closed).toBe(true);
    expect(transport.connectionState).toBe('closed');
    expect(states).toEqual([]);
    expect(handler.closed).toBe(true);
  });

  test('transport.close() sets closed, closes every producer, then closes the handler, then emits observer close', async () => {
    const { transport, handler } = await fakeApp();
    const dataProducer = await transport.produceData();
    const seen: string[] = [];
    dataProducer.on('transportclose', () => {
      seen.push(
        `transportclose: closed ${transport.closed}, ${transport.connectionState}, handler closed ${handler.closed}`,
      );
    });
    transport.observer.on('close', () => {
      seen.push(
        `observer close: producer closed ${dataProducer.closed}, handler closed ${handler.closed}`,
      );
    });

    transport.close();

    expect(seen).toEqual([
      'transportclose: closed true, closed, handler closed false',
      'observer close: producer closed true, handler closed true',
    ]);
  });

  test('transport.close() leaves the listeners in place', async () => {
    const { transport } = await fakeApp();
    transport.observer.on('close', () => undefined);

    transport.close();

    expect(transport.listenerCount('connect')).toBe(1);
    expect(transport.listenerCount('producedata')).toBe(1);
    expect(transport.observer.listenerCount('close')).toBe(1);
  });

  test('transport.close() then transport.produceData() rejects with InvalidStateError and emits nothing', async () => {
    const app = await fakeApp();
    app.transport.close();

    expect(await rejectionOf(app.transport.produceData())).toEqual(
      new InvalidStateError('transport is closed'),
    );
    expect(app.connects).toEqual([]);
    expect(app.produced).toEqual([]);
  });
});

describe('connection failure', () => {
  test("transport.connectionState 'failed' emits connectionstatechange, closes every producer after it, and leaves the transport open", async () => {
    const { transport, handler } = await fakeApp();
    const dataProducer = await transport.produceData();
    await once(dataProducer, 'open');
    const seen: string[] = [];
    transport.on('connectionstatechange', (state) => seen.push(`state ${state}`));
    dataProducer.on('close', () => seen.push('producer close'));
    let transportCloses = 0;
    transport.observer.on('close', () => transportCloses++);

    handler.setConnectionState('failed');

    expect(seen).toEqual(['state failed', 'producer close']);
    expect(transport.connectionState).toBe('failed');
    expect(transport.closed).toBe(false);
    expect(transportCloses).toBe(0);
  });

  test("transport.produceData() on a transport whose connectionState is 'failed' rejects with InvalidStateError and emits nothing", async () => {
    const app = await fakeApp();
    await app.transport.produceData();
    app.handler.setConnectionState('failed');

    const error = await rejectionOf(app.transport.produceData());

    expect(error).toEqual(
      new InvalidStateError('transport connection failed: close it and create a new one'),
    );
    expect(app.produced).toHaveLength(1);
  });

  test("transport.produceData() waiting for connect rejects with InvalidStateError 'transport connection failed: close it and create a new one' when the connection fails", async () => {
    const app = await fakeApp({ answer: false });
    app.transport.on('connect', () => undefined);
    app.transport.on('producedata', (_parameters, callback) => {
      callback({ id: 'never asked' });
    });

    const pending = rejectionOf(app.transport.produceData());
    await turns();
    app.handler.setConnectionState('failed');

    expect(await pending).toEqual(
      new InvalidStateError('transport connection failed: close it and create a new one'),
    );
  });

  test("transport.produceData() whose producedata is answered after the connection failed resolves with the router's id; its DataProducer then emits error, close and observer close", async () => {
    const app = await fakeApp({ answer: false, handler: { autoConnect: false } });
    app.transport.on('connect', (_parameters, callback) => {
      callback();
    });
    let answer: (() => void) | undefined;
    app.transport.on('producedata', (_parameters, callback) => {
      answer = () => {
        callback({ id: 'router-id' });
      };
    });
    const created: DataProducer[] = [];
    app.transport.observer.on('newdataproducer', (dataProducer: DataProducer) =>
      created.push(dataProducer),
    );

    const result = app.transport.produceData({ label: 'late answer' });
    await turns();
    app.handler.setConnectionState('failed');
    answer?.();
    const dataProducer = await result;
    const log = recordProducerEvents(dataProducer);
    await once(dataProducer.observer, 'close');

    expect(dataProducer.id).toBe('router-id');
    expect(dataProducer.label).toBe('late answer');
    expect(created).toEqual([dataProducer]);
    expect(log).toEqual([
      'error: DataProducer could not connect: the transport failed',
      'close',
      'observer close',
    ]);
    expect(() => {
      dataProducer.send('after failure');
    }).toThrow(InvalidStateError);
  });

  test('transport.close() after the connection failed emits observer close, and getStats() then rejects with InvalidStateError', async () => {
    const { transport, handler } = await fakeApp();
    await transport.produceData();
    handler.setConnectionState('failed');
    const closed = once(transport.observer, 'close');

    transport.close();
    await closed;

    expect(transport.closed).toBe(true);
    expect(await rejectionOf(transport.getStats())).toEqual(
      new InvalidStateError('transport is closed'),
    );
  });
});

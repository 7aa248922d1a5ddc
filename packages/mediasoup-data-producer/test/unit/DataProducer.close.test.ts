// Every way a DataProducer closes and what each emits, on FakeHandler: dataProducer.close(),
// transport.close(), a remote close of its stream (the router closed its DataProducer, or the
// association went away) and the transport's failure. The observer's `close` comes exactly
// once in every path.
import { InvalidStateError, type DataProducer, type Transport } from 'mediasoup-data-producer';

import { once, openProducer } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  recordProducerEvents,
  turns,
  type FakeApp,
} from '@test-support/fakeSession.js';

let app: FakeApp;
let transport: Transport;

beforeEach(async () => {
  app = await fakeApp();
  transport = app.transport;
});

useFakeApps();

/** The router closes its DataProducer: the stream is reset, node-datachannel closes the channel. */
async function remoteClose(dataProducer: DataProducer): Promise<void> {
  const closed = once(dataProducer.observer, 'close');
  channelOf(transport, dataProducer).simulateClose();
  await closed;
}

describe('dataProducer.close()', () => {
  test('dataProducer.close() emits observer close once, no close event, sets readyState closed and closes its channel', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    dataProducer.close();
    await turns();

    expect(log).toEqual(['observer close']);
    expect(dataProducer.closed).toBe(true);
    expect(dataProducer.readyState).toBe('closed');
    expect(dataProducer.bufferedAmount).toBe(0);
    expect(channelOf(transport, dataProducer).closedLocally).toBe(true);
  });

  test('dataProducer.close() then send() throws InvalidStateError for every kind of data and sends nothing', async () => {
    const dataProducer = await openProducer(transport);

    dataProducer.close();

    for (const value of ['text', Buffer.from([1]), new ArrayBuffer(1), new Blob(['b'])]) {
      expect(() => {
        dataProducer.send(value);
      }).toThrow(new InvalidStateError('DataProducer is closed'));
    }
    expect(dataProducer.bufferedAmount).toBe(0);
    expect(channelOf(transport, dataProducer).sent).toEqual([]);
  });

  test('dataProducer.close() twice is harmless and emits observer close once', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    dataProducer.close();
    expect(() => {
      dataProducer.close();
    }).not.toThrow();
    await turns();

    expect(log).toEqual(['observer close']);
    expect(dataProducer.readyState).toBe('closed');
  });

  test('dataProducer.close() before open emits no open event and drops what was queued', async () => {
    const fresh = await fakeApp({ handler: { autoConnect: false } });
    const dataProducer = await fresh.transport.produceData();
    const log = recordProducerEvents(dataProducer);
    dataProducer.send('queued');
    expect(dataProducer.bufferedAmount).toBe(6);

    dataProducer.close();
    fresh.handler.setConnectionState('connected');
    await turns();

    expect(log).toEqual(['observer close']);
    expect(dataProducer.bufferedAmount).toBe(0);
    expect(channelOf(fresh.transport, dataProducer).sent).toEqual([]);
  });

  test('dataProducer.close() then transport.close() and a remote close emit nothing more', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    dataProducer.close();
    channelOf(transport, dataProducer).simulateClose();
    transport.close();
    await turns();

    expect(log).toEqual(['observer close']);
  });
});

describe('remote close', () => {
  test('dataProducer whose stream the router resets after open emits close then observer close, each once, and send() then throws InvalidStateError', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    await remoteClose(dataProducer);
    await turns();

    expect(log).toEqual(['close', 'observer close']);
    expect(dataProducer.closed).toBe(true);
    expect(dataProducer.readyState).toBe('closed');
    expect(() => {
      dataProducer.send('late');
    }).toThrow(InvalidStateError);
  });

  test('dataProducer whose stream is reset before open emits error "closed before it opened", then close and observer close', async () => {
    const fresh = await fakeApp({ handler: { autoConnect: false } });
    const dataProducer = await fresh.transport.produceData();
    const log = recordProducerEvents(dataProducer);
    dataProducer.send('never sent');

    channelOf(fresh.transport, dataProducer).simulateClose();
    await once(dataProducer.observer, 'close');

    expect(log).toEqual(['error: DataProducer closed before it opened', 'close', 'observer close']);
    expect(dataProducer.bufferedAmount).toBe(0);
  });

  test('transport.produceData() whose stream is reset before producedata is answered resolves, and its DataProducer then emits error and close', async () => {
    const fresh = await fakeApp({ answer: false, handler: { autoConnect: false } });
    fresh.transport.on('connect', (_parameters, callback) => {
      callback();
    });
    fresh.transport.on('producedata', (_parameters, callback) => {
      // The first channel exists before connect; the router resets it before answering.
      fresh.handler.dataChannels[0]?.simulateClose();
      setImmediate(() => {
        callback({ id: 'answered after the reset' });
      });
    });

    const dataProducer = await fresh.transport.produceData();
    const log = recordProducerEvents(dataProducer);
    await once(dataProducer.observer, 'close');

    expect(dataProducer.id).toBe('answered after the reset');
    expect(log).toEqual(['error: DataProducer closed before it opened', 'close', 'observer close']);
  });

  test('dataProducer whose stream the router reset then close() and transport.close() emit nothing more', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    await remoteClose(dataProducer);
    dataProducer.close();
    transport.close();
    await turns();

    expect(log).toEqual(['close', 'observer close']);
  });

  test('dataProducer whose stream the router reset leaves the other producers of the transport open and sending', async () => {
    const closing = await openProducer(transport);
    const staying = await openProducer(transport);
    const stayingLog = recordProducerEvents(staying);

    await remoteClose(closing);
    staying.send('still here');

    expect(staying.readyState).toBe('open');
    expect(channelOf(transport, staying).sent).toEqual(['still here']);
    expect(stayingLog).toEqual([]);
  });

  test('dataProducer.send() after the native channel closed but before its close callback ran throws InvalidStateError "closing", and close follows', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    channelOf(transport, dataProducer).simulateClose();
    expect(() => {
      dataProducer.send('racing the reset');
    }).toThrow(new InvalidStateError('DataProducer is closing: DataChannel is closed'));
    await once(dataProducer.observer, 'close');

    expect(log).toEqual(['close', 'observer close']);
  });
});

describe('transport.close()', () => {
  test('transport.close() emits transportclose then observer close on every producer, open or not, and no close event', async () => {
    const producers = [await openProducer(transport), await openProducer(transport)];
    producers.push(await transport.produceData()); // not open yet
    const logs = producers.map((p) => recordProducerEvents(p));

    transport.close();

    expect(logs).toEqual([
      ['transportclose', 'observer close'],
      ['transportclose', 'observer close'],
      ['transportclose', 'observer close'],
    ]);
    expect(producers.map((p) => [p.closed, p.readyState])).toEqual([
      [true, 'closed'],
      [true, 'closed'],
      [true, 'closed'],
    ]);
    await turns();
    expect(logs.flat()).toEqual([
      'transportclose',
      'observer close',
      'transportclose',
      'observer close',
      'transportclose',
      'observer close',
    ]);
  });

  test('transport.close() then dataProducer.close() and send() throw nothing but InvalidStateError and emit nothing more', async () => {
    const dataProducer = await openProducer(transport);
    const log = recordProducerEvents(dataProducer);

    transport.close();
    dataProducer.close();

    expect(() => {
      dataProducer.send('late');
    }).toThrow(InvalidStateError);
    await turns();
    expect(log).toEqual(['transportclose', 'observer close']);
  });

  test('transport.close() skips producers already closed', async () => {
    const closed = await openProducer(transport);
    const open = await openProducer(transport);
    const closedLog = recordProducerEvents(closed);
    const openLog = recordProducerEvents(open);

    closed.close();
    transport.close();

    expect(closedLog).toEqual(['observer close']);
    expect(openLog).toEqual(['transportclose', 'observer close']);
  });
});

describe('connection failure', () => {
  test("transport.connectionState 'failed' closes an open producer with close and observer close, and one that never opened with error, close and observer close", async () => {
    const fresh = await fakeApp({ handler: { autoConnect: false } });
    const opened = await fresh.transport.produceData({ label: 'opened' });
    fresh.handler.setConnectionState('connected');
    await once(opened, 'open');
    const neverOpened = await fresh.transport.produceData({ label: 'never opened' });
    const openedLog = recordProducerEvents(opened);
    const neverOpenedLog = recordProducerEvents(neverOpened);

    fresh.handler.setConnectionState('failed');
    await turns();

    expect(openedLog).toEqual(['close', 'observer close']);
    expect(neverOpenedLog).toEqual([
      'error: DataProducer could not connect: the transport failed',
      'close',
      'observer close',
    ]);
    expect(() => {
      opened.send('after failure');
    }).toThrow(InvalidStateError);
  });
});

describe('observer close exactly once', () => {
  const paths: [string, (dataProducer: DataProducer, app: FakeApp) => void][] = [
    [
      'dataProducer.close()',
      (p) => {
        p.close();
      },
    ],
    [
      'transport.close()',
      (_p, a) => {
        a.transport.close();
      },
    ],
    [
      'a remote close',
      (p, a) => {
        channelOf(a.transport, p).simulateClose();
      },
    ],
    [
      'a connection failure',
      (_p, a) => {
        a.handler.setConnectionState('failed');
      },
    ],
  ];

  test.each(
    paths.flatMap(([first, end]) => paths.map(([then, also]) => [first, then, end, also] as const)),
  )(
    'dataProducer ended by %s, then %s, emits observer close exactly once',
    async (_first, _then, end, also) => {
      const fresh = await fakeApp();
      const dataProducer = await fresh.transport.produceData();
      await once(dataProducer, 'open');
      let closes = 0;
      dataProducer.observer.on('close', () => closes++);

      end(dataProducer, fresh);
      await turns();
      also(dataProducer, fresh);
      await turns();

      expect(closes).toBe(1);
      expect(dataProducer.closed).toBe(true);
    },
  );
});

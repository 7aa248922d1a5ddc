// dataProducer.closeGracefully() and transport.closeGracefully() on FakeHandler: the stream is
// reset behind the last message, the close waits for the router's answering reset or the
// timeout, and every other way of closing meanwhile ends the wait with false.
import { InvalidStateError, type DataProducer } from 'mediasoup-data-producer';

import { once, openProducer, sleep } from '@test-support/events.js';
import {
  channelOf,
  useFakeApps,
  fakeApp,
  recordProducerEvents,
  rejectionOf,
  routerDataConsumer,
  turns,
  type FakeApp,
} from '@test-support/fakeSession.js';

useFakeApps();

/** Tracks a promise's outcome without awaiting it. */
function settledState<T>(promise: Promise<T>): { settled: boolean; value?: T } {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

describe('dataProducer.closeGracefully()', () => {
  let app: FakeApp;
  beforeEach(async () => {
    app = await fakeApp();
  });

  test('dataProducer.closeGracefully() resets the stream after the last message, is closing until the router answers, then closes as close() does and resolves true', async () => {
    const dataProducer = await openProducer(app.transport);
    const channel = channelOf(app.transport, dataProducer);
    const log = recordProducerEvents(dataProducer);
    dataProducer.send('a');
    dataProducer.send('b');

    const closing = dataProducer.closeGracefully();
    const state = {
      readyState: dataProducer.readyState,
      closed: dataProducer.closed,
      resets: [...channel.resets],
    };
    const confirmed = await closing;

    expect(state).toEqual({ readyState: 'closing', closed: false, resets: [2] });
    expect(confirmed).toBe(true);
    expect({ readyState: dataProducer.readyState, closed: dataProducer.closed, log }).toEqual({
      readyState: 'closed',
      closed: true,
      log: ['observer close'],
    });
    expect(channel.closed).toBe(true);
  });

  test('dataProducer.send() while closing throws InvalidStateError and sends nothing', async () => {
    const dataProducer = await openProducer(app.transport);
    const channel = channelOf(app.transport, dataProducer);
    channel.stall();
    dataProducer.send('kept');
    const closing = dataProducer.closeGracefully();

    expect(() => {
      dataProducer.send('late');
    }).toThrow(new InvalidStateError('DataProducer is closing'));
    channel.drain();
    await closing;
    expect(channel.sent).toEqual(['kept']);
  });

  test('dataProducer.closeGracefully() waits while the channel still holds bytes: the router answers only once it has them all', async () => {
    const dataProducer = await openProducer(app.transport);
    const channel = channelOf(app.transport, dataProducer);
    channel.stall();
    dataProducer.send('x'.repeat(1000));
    const state = settledState(dataProducer.closeGracefully());

    await sleep(30);
    const beforeDrain = { ...state, readyState: dataProducer.readyState };
    channel.drain();
    await turns();

    expect(beforeDrain).toEqual({ settled: false, readyState: 'closing' });
    expect(state).toEqual({ settled: true, value: true });
  });

  test('dataProducer.closeGracefully() on a router that does not answer resets closes at the timeout and resolves false', async () => {
    const silent = await fakeApp({ handler: { answerStreamResets: false } });
    const dataProducer = await openProducer(silent.transport);
    const channel = channelOf(silent.transport, dataProducer);
    const log = recordProducerEvents(dataProducer);
    dataProducer.send('a');
    const started = performance.now();

    const confirmed = await dataProducer.closeGracefully({ timeout: 60 });

    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect({ confirmed, resets: channel.resets, closed: channel.closedLocally, log }).toEqual({
      confirmed: false,
      resets: [1],
      closed: true,
      log: ['observer close'],
    });
  });

  test('dataProducer.closeGracefully() of a producer that never sent resolves true at once, even on a router that does not answer resets', async () => {
    const silent = await fakeApp({ handler: { answerStreamResets: false } });
    const dataProducer = await openProducer(silent.transport);
    const log = recordProducerEvents(dataProducer);

    const confirmed = await dataProducer.closeGracefully({ timeout: 10000 });

    expect({ confirmed, closed: dataProducer.closed, log }).toEqual({
      confirmed: true,
      closed: true,
      log: ['observer close'],
    });
    expect(channelOf(silent.transport, dataProducer).resets).toEqual([]);
  });

  test('dataProducer.closeGracefully() called twice returns the same promise, and after it settled the same result', async () => {
    const dataProducer = await openProducer(app.transport);
    dataProducer.send('last');
    const first = dataProducer.closeGracefully();
    const second = dataProducer.closeGracefully({ timeout: 1 });
    const confirmed = await first;

    expect(second).toBe(first);
    expect(confirmed).toBe(true);
    await expect(dataProducer.closeGracefully()).resolves.toBe(true);
    expect(channelOf(app.transport, dataProducer).resets).toHaveLength(1);
  });

  test('dataProducer.closeGracefully() on a producer closed by close() resolves false', async () => {
    const dataProducer = await openProducer(app.transport);
    dataProducer.close();

    await expect(dataProducer.closeGracefully()).resolves.toBe(false);
    expect(channelOf(app.transport, dataProducer).resets).toEqual([]);
  });

  test.each([
    ['a string', 'x'],
    ['null', null],
    ['a timeout of 0', { timeout: 0 }],
    ['a negative timeout', { timeout: -5 }],
    ['a fractional timeout', { timeout: 1.5 }],
    ['a string timeout', { timeout: '100' }],
  ])(
    'dataProducer.closeGracefully() with %s throws TypeError and leaves the producer open',
    async (_, options) => {
      const dataProducer = await openProducer(app.transport);

      expect(() => dataProducer.closeGracefully(options as never)).toThrow(TypeError);
      expect(dataProducer.readyState).toBe('open');
      expect(channelOf(app.transport, dataProducer).resets).toEqual([]);
    },
  );

  describe('ended by another close meanwhile', () => {
    let dataProducer: DataProducer;
    let log: string[];
    let closing: Promise<boolean>;
    beforeEach(async () => {
      const silent = await fakeApp({ handler: { answerStreamResets: false } });
      app = silent;
      dataProducer = await openProducer(silent.transport);
      log = recordProducerEvents(dataProducer);
      dataProducer.send('last');
      closing = dataProducer.closeGracefully({ timeout: 10000 });
      await turns();
    });

    test('dataProducer.close() while closing gracefully resolves it false at once, observer close once', async () => {
      dataProducer.close();

      await expect(closing).resolves.toBe(false);
      expect(log).toEqual(['observer close']);
    });

    test('transport.close() while closing gracefully resolves it false, with transportclose', async () => {
      app.transport.close();

      await expect(closing).resolves.toBe(false);
      expect(log).toEqual(['transportclose', 'observer close']);
    });

    test('the transport failing while closing gracefully resolves it false, with no error or close event', async () => {
      app.handler.setConnectionState('failed');

      await expect(closing).resolves.toBe(false);
      expect(log).toEqual(['observer close']);
    });

    test('the association going away (channel closed without a stream reset) resolves it false', async () => {
      channelOf(app.transport, dataProducer).simulateClose({ byStreamReset: false });

      await expect(closing).resolves.toBe(false);
      expect(log).toEqual(['observer close']);
    });

    test("the router's reset of the stream (its answer) resolves it true", async () => {
      channelOf(app.transport, dataProducer).simulateClose();

      await expect(closing).resolves.toBe(true);
      expect(log).toEqual(['observer close']);
    });
  });

  test('dataProducer.closeGracefully() before open sends what send() queued, then resets, and never emits open', async () => {
    const manual = await fakeApp({ handler: { autoConnect: false } });
    const dataProducer = await manual.transport.produceData();
    const channel = channelOf(manual.transport, dataProducer);
    const log = recordProducerEvents(dataProducer);
    dataProducer.send('queued 1');
    dataProducer.send(new Blob(['queued 2']));
    const closing = dataProducer.closeGracefully();
    const readyState = dataProducer.readyState;

    manual.handler.setConnectionState('connected');

    await expect(closing).resolves.toBe(true);
    expect(readyState).toBe('closing');
    expect(channel.sent.map((m) => Buffer.from(m).toString())).toEqual(['queued 1', 'queued 2']);
    expect(channel.resets).toEqual([2]);
    // The queue drained to the threshold (0) while closing, as a browser reports it too.
    expect(log).toEqual(['bufferedamountlow', 'observer close']);
  });

  test('dataProducer.closeGracefully() before open, on a transport that never connects, closes at the timeout with false', async () => {
    const manual = await fakeApp({ handler: { autoConnect: false } });
    const dataProducer = await manual.transport.produceData();
    dataProducer.send('never sent');

    await expect(dataProducer.closeGracefully({ timeout: 30 })).resolves.toBe(false);
    expect(channelOf(manual.transport, dataProducer).sent).toEqual([]);
  });
});

describe('transport.closeGracefully()', () => {
  test('transport.closeGracefully() closes every producer gracefully, then the transport, and resolves true when all confirmed', async () => {
    const app = await fakeApp();
    const producers = [await openProducer(app.transport), await openProducer(app.transport)];
    for (const dataProducer of producers) dataProducer.send('last');
    const transportClosed = once(app.transport.observer, 'close');

    const confirmed = await app.transport.closeGracefully();

    await transportClosed;
    expect(confirmed).toBe(true);
    expect(app.transport.closed).toBe(true);
    expect(producers.map((p) => channelOf(app.transport, p).resets)).toEqual([[1], [1]]);
  });

  test('transport.closeGracefully() resolves false when one producer is not confirmed in time', async () => {
    const app = await fakeApp();
    const answered = await openProducer(app.transport);
    const stalled = await openProducer(app.transport);
    channelOf(app.transport, stalled).stall();
    stalled.send('stuck');

    await expect(app.transport.closeGracefully({ timeout: 50 })).resolves.toBe(false);
    expect([answered.closed, stalled.closed, app.transport.closed]).toEqual([true, true, true]);
  });

  test('transport.produceData() and consumeData() while the transport closes gracefully reject with InvalidStateError', async () => {
    const app = await fakeApp();
    await openProducer(app.transport);
    const closing = app.transport.closeGracefully();

    const error = await rejectionOf(app.transport.produceData());
    await closing;
    expect(error).toEqual(new InvalidStateError('transport is closing'));
    expect(app.produced).toHaveLength(1);

    const recv = await fakeApp({ direction: 'recv' });
    const recvClosing = recv.transport.closeGracefully();
    expect(await rejectionOf(recv.transport.consumeData(routerDataConsumer(1)))).toEqual(
      new InvalidStateError('transport is closing'),
    );
    await expect(recvClosing).resolves.toBe(true);
    expect(recv.transport.closed).toBe(true);
  });

  test('transport.closeGracefully() called twice returns the same promise; on a closed transport it resolves false', async () => {
    const app = await fakeApp();
    await openProducer(app.transport);
    const first = app.transport.closeGracefully();

    expect(app.transport.closeGracefully()).toBe(first);
    await expect(first).resolves.toBe(true);

    const other = await fakeApp();
    other.transport.close();
    await expect(other.transport.closeGracefully()).resolves.toBe(false);
  });

  test('transport.close() while it closes gracefully ends the wait with false', async () => {
    const app = await fakeApp({ handler: { answerStreamResets: false } });
    const dataProducer = await openProducer(app.transport);
    dataProducer.send('last');
    const closing = app.transport.closeGracefully({ timeout: 10000 });
    await turns();

    app.transport.close();

    await expect(closing).resolves.toBe(false);
    expect(dataProducer.closed).toBe(true);
  });

  test.each([
    ['a number', 5],
    ['a timeout of 0', { timeout: 0 }],
  ])(
    'transport.closeGracefully() with %s throws TypeError and closes nothing',
    async (_, options) => {
      const app = await fakeApp();
      const dataProducer = await openProducer(app.transport);

      expect(() => app.transport.closeGracefully(options as never)).toThrow(TypeError);
      expect([dataProducer.readyState, app.transport.closed]).toEqual(['open', false]);
    },
  );
});

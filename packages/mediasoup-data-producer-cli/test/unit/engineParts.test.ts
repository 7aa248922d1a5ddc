// The load engine's small parts, without a router: the size check, the pacing, the timers
// and the run recorder.

import { abortableSleep, aborted, settleWithin, withTimeout } from 'mediasoup-data-bots';
import { checkMessageSize, MessageTooLargeError } from 'mediasoup-data-bots';
import { BURST, sendBudget } from 'mediasoup-data-bots';
import { MAX_KEPT_ERRORS, RunRecorder } from '../../src/engine/runRecorder.js';

describe('checkMessageSize()', () => {
  test('checkMessageSize() with mediasoup <= 3.19 sctpParameters compares with maxMessageSize', () => {
    const sctp = { port: 5000, OS: 1024, MIS: 1024, maxMessageSize: 262144 };
    expect(checkMessageSize(262144, sctp)).toBeUndefined();
    const error = checkMessageSize(262145, sctp);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ size: 262145, limit: 262144 });
  });

  test('checkMessageSize() with mediasoup >= 3.20 sctpParameters compares with maxReceiveMessageSize', () => {
    const sctp = { port: 5000, maxSendMessageSize: 1048576, maxReceiveMessageSize: 65536 };
    expect(checkMessageSize(65536, sctp)).toBeUndefined();
    expect(checkMessageSize(65537, sctp)?.message).toBe(
      'messages of 65537 bytes are larger than the router accepts (at most 65536 bytes)',
    );
  });

  test('checkMessageSize() with malformed sctpParameters leaves the error to createSendTransport()', () => {
    expect(checkMessageSize(1 << 30, { port: 5000 })).toBeUndefined();
    expect(checkMessageSize(1 << 30, undefined)).toBeUndefined();
  });
});

describe('sendBudget()', () => {
  test('sendBudget() without a rate allows one burst', () => {
    expect(sendBudget(0, 0, 1000, 5)).toEqual({ send: BURST });
  });

  test('sendBudget() under a rate allows what is due, at most a burst', () => {
    // 100 msg/s: one every 10 ms, the first at once.
    expect(sendBudget(100, 0, 0, 0)).toEqual({ send: 1 });
    expect(sendBudget(100, 0, 1, 25)).toEqual({ send: 2 });
    expect(sendBudget(100000, 0, 0, 1000)).toEqual({ send: BURST });
  });

  test('sendBudget() under a rate when nothing is due waits until the next message', () => {
    expect(sendBudget(100, 0, 3, 25)).toEqual({ waitMs: 5 });
  });
});

describe('async helpers', () => {
  test('abortableSleep() when the signal aborts resolves at once', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const sleeping = abortableSleep(60000, controller.signal);
    controller.abort();
    await sleeping;
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('aborted() given an aborted signal resolves', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(aborted(controller.signal)).resolves.toBeUndefined();
  });

  test('withTimeout() when the promise is late rejects naming what was not answered', async () => {
    await expect(withTimeout(new Promise(() => undefined), 10, 'produceData')).rejects.toThrow(
      'produceData was not answered within 10 ms',
    );
  });

  test('withTimeout() when the promise settles in time gives its value', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
  });

  test('settleWithin() given a rejecting promise resolves anyway', async () => {
    await expect(settleWithin(Promise.reject(new Error('no')), 1000)).resolves.toBeUndefined();
  });
});

describe('RunRecorder', () => {
  test('RunRecorder.countSent() over two seconds counts totals and each second', () => {
    const recorder = new RunRecorder('run');
    recorder.countSent(1000.5, 1, 10);
    recorder.countSent(1999, 1, 10);
    recorder.countSent(2000, 1, 20);
    expect(recorder).toMatchObject({ sentMessages: 3, sentBytes: 40, sendStartedAt: 1000.5 });
    expect(recorder.timeline()).toEqual([
      { second: 1, sentMessages: 2, sentBytes: 20, bufferedAmount: 0, openTransports: 0 },
      { second: 2, sentMessages: 1, sentBytes: 20, bufferedAmount: 0, openTransports: 0 },
    ]);
  });

  test('RunRecorder.sample() twice in a second keeps the largest of each figure', () => {
    const recorder = new RunRecorder('run');
    recorder.sample(5000, 300, 1);
    recorder.sample(5999, 100, 4);
    expect(recorder.timeline()).toEqual([
      { second: 5, sentMessages: 0, sentBytes: 0, bufferedAmount: 300, openTransports: 4 },
    ]);
    expect(recorder.maxBufferedAmount).toBe(300);
  });

  test('RunRecorder.warning() given the same message twice gives it once with a count', () => {
    const recorder = new RunRecorder('run');
    recorder.warning('a');
    recorder.warning('b');
    recorder.warning('a');
    expect(recorder.warnings()).toEqual(['a (2 times)', 'b']);
  });

  test('RunRecorder.error() beyond the kept number counts every error but keeps the first', () => {
    const recorder = new RunRecorder('run', performance.now());
    for (let i = 0; i < MAX_KEPT_ERRORS + 5; i++) recorder.error(`e${i}`, i, 0);
    expect(recorder.errorCount).toBe(MAX_KEPT_ERRORS + 5);
    expect(recorder.errors).toHaveLength(MAX_KEPT_ERRORS);
    expect(recorder.errors[0]).toMatchObject({ transport: 0, producer: 0, message: 'e0' });
  });
});

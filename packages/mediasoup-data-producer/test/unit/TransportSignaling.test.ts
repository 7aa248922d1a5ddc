import { InvalidStateError, OperationError } from 'mediasoup-data-producer';

import { TransportSignaling, type SignalAnswer } from '../../src/TransportSignaling.js';
import { captureLog, type CapturedLog } from '@test-support/log.js';
import { ignored, WARN_TRANSPORT } from '@test-support/recording.js';
import { rejectionOf } from '@test-support/outcomes.js';

let log: CapturedLog;

beforeEach(() => {
  log = captureLog(WARN_TRANSPORT);
});

afterEach(() => {
  jest.useRealTimers();
  log.restore();
});

/** A request whose emit keeps the app's callback and errback for the test to call. */
function ask<R>(
  signaling: TransportSignaling,
  event: string,
  parse: (result: unknown) => R,
): { result: Promise<R>; answer: SignalAnswer } {
  let answer: SignalAnswer | undefined;
  const result = signaling.request(
    event,
    (...args) => {
      answer = args;
    },
    parse,
  );
  if (!answer) throw new Error('request() did not call emit synchronously');
  return { result, answer };
}

const asId = (result: unknown): string => (result as { id: string }).id;

describe('TransportSignaling', () => {
  test('transportSignaling.request() answered by the callback resolves with what parse makes of its argument', async () => {
    const signaling = new TransportSignaling(1000);
    const { result, answer } = ask(signaling, 'producedata', asId);
    expect(signaling.pendingCount).toBe(1);

    answer[0]({ id: 'dp1' });

    expect(await result).toBe('dp1');
    expect(signaling.pendingCount).toBe(0);
  });

  test('transportSignaling.request() answered synchronously inside emit resolves', async () => {
    const signaling = new TransportSignaling(1000);

    const result = signaling.request(
      'connect',
      (callback) => {
        callback();
      },
      () => 'done',
    );

    expect(await result).toBe('done');
    expect(signaling.pendingCount).toBe(0);
  });

  test('transportSignaling.request() whose parse throws rejects with that error', async () => {
    const signaling = new TransportSignaling(1000);
    const { result, answer } = ask(signaling, 'producedata', () => {
      throw new TypeError('the producedata callback must be called with { id: string }');
    });

    answer[0]('not an object');

    expect(await rejectionOf(result)).toEqual(
      new TypeError('the producedata callback must be called with { id: string }'),
    );
  });

  test('transportSignaling.request() answered by the errback rejects with its error, or an Error made of a non-Error', async () => {
    const signaling = new TransportSignaling(1000);
    const first = ask(signaling, 'connect', () => undefined);
    const second = ask(signaling, 'connect', () => undefined);
    const routerError = new RangeError('router said no');

    first.answer[1](routerError);
    second.answer[1]('a string');

    expect(await rejectionOf(first.result)).toBe(routerError);
    const made = await rejectionOf(second.result);
    expect(made).toBeInstanceOf(Error);
    expect((made as Error).message).toBe('a string');
  });

  test('transportSignaling.request() unanswered for the timeout rejects with OperationError naming the event and the timeout', async () => {
    jest.useFakeTimers();
    const signaling = new TransportSignaling(500);
    const { result } = ask(signaling, 'producedata', asId);
    const outcome = rejectionOf(result);

    await jest.advanceTimersByTimeAsync(499);
    expect(signaling.pendingCount).toBe(1);
    await jest.advanceTimersByTimeAsync(1);

    expect(await outcome).toEqual(
      new OperationError('"producedata" was not answered within 500 ms'),
    );
    expect(signaling.pendingCount).toBe(0);
  });

  test('transportSignaling.request() answered twice, or after the timeout, keeps the first outcome and logs each ignored answer', async () => {
    jest.useFakeTimers();
    const signaling = new TransportSignaling(100);
    const twice = ask(signaling, 'producedata', asId);
    const late = ask(signaling, 'connect', () => undefined);
    const lateOutcome = rejectionOf(late.result);

    twice.answer[0]({ id: 'first' });
    twice.answer[1](new Error('second'));
    twice.answer[0]({ id: 'third' });
    await jest.advanceTimersByTimeAsync(100);
    late.answer[0]();

    expect(await twice.result).toBe('first');
    expect(await lateOutcome).toBeInstanceOf(OperationError);
    expect(log.lines).toEqual([ignored('producedata'), ignored('producedata'), ignored('connect')]);
  });

  test('transportSignaling.rejectPending() rejects every waiting request with an error of its own, and later answers are ignored', async () => {
    const signaling = new TransportSignaling(1000);
    const a = ask(signaling, 'connect', () => undefined);
    const b = ask(signaling, 'producedata', asId);

    signaling.rejectPending(() => new InvalidStateError('transport is closed'));
    a.answer[0]();
    b.answer[0]({ id: 'late' });

    const [errorA, errorB] = await Promise.all([rejectionOf(a.result), rejectionOf(b.result)]);
    expect([errorA, errorB]).toEqual([
      new InvalidStateError('transport is closed'),
      new InvalidStateError('transport is closed'),
    ]);
    expect(errorA).not.toBe(errorB);
    expect(signaling.pendingCount).toBe(0);
    expect(log.lines).toEqual([ignored('connect'), ignored('producedata')]);
  });

  test('transportSignaling.rejectPending() with an event rejects only the requests of that event', async () => {
    const signaling = new TransportSignaling(1000);
    const connect = ask(signaling, 'connect', () => undefined);
    const produce = ask(signaling, 'producedata', asId);

    signaling.rejectPending(() => new InvalidStateError('failed'), 'connect');
    expect(signaling.pendingCount).toBe(1);
    produce.answer[0]({ id: 'dp' });

    expect(await rejectionOf(connect.result)).toEqual(new InvalidStateError('failed'));
    expect(await produce.result).toBe('dp');
  });

  test('transportSignaling.rejectPending() with nothing waiting calls no makeError', () => {
    const signaling = new TransportSignaling(1000);
    const makeError = jest.fn(() => new InvalidStateError('never'));

    signaling.rejectPending(makeError);

    expect(makeError).not.toHaveBeenCalled();
  });
});

// The LocalRouter's message log on its own: the bound, the drops, the waits. The same rules
// on a real router are in test/integration/LocalRouter.recording.test.ts.
import {
  DEFAULT_MESSAGE_RECORDING,
  MessageLog,
  recordingBound,
  type ReceivedMessage,
} from '../../src/MessageLog.js';

let receivedAt = 0;

function message(text: string, dataProducerId = 'dp1'): ReceivedMessage {
  return { dataProducerId, ppid: 51, data: Buffer.from(text), receivedAt: receivedAt++ };
}

function recordAll(log: MessageLog, texts: string[], dataProducerId = 'dp1'): void {
  for (const text of texts) log.record(message(text, dataProducerId));
}

const texts = (messages: ReceivedMessage[]): string[] => messages.map((m) => m.data.toString());
const numbered = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => String(from + i));

afterEach(() => {
  jest.useRealTimers();
});

describe('recordingBound()', () => {
  test('recordingBound() without an option is DEFAULT_MESSAGE_RECORDING', () => {
    expect(DEFAULT_MESSAGE_RECORDING).toEqual({ maxMessages: 10000, maxBytes: 64 * 1024 * 1024 });
    expect(recordingBound(undefined)).toEqual(DEFAULT_MESSAGE_RECORDING);
  });

  test('recordingBound() with true is unbounded and with false undefined', () => {
    expect(recordingBound(true)).toEqual({ maxMessages: Infinity, maxBytes: Infinity });
    expect(recordingBound(false)).toBeUndefined();
  });

  test('recordingBound() with one key keeps the default of the other', () => {
    expect(recordingBound({ maxBytes: 1000 })).toEqual({ maxMessages: 10000, maxBytes: 1000 });
    expect(recordingBound({ maxMessages: Infinity })).toEqual({
      maxMessages: Infinity,
      maxBytes: 64 * 1024 * 1024,
    });
  });

  test.each([
    [
      { maxMessages: 0 },
      'recordMessages.maxMessages must be a positive integer or Infinity, got 0',
    ],
    [
      { maxMessages: 1.5 },
      'recordMessages.maxMessages must be a positive integer or Infinity, got 1.5',
    ],
    [{ maxBytes: -1 }, 'recordMessages.maxBytes must be a positive integer or Infinity, got -1'],
    [{ maxBytes: NaN }, 'recordMessages.maxBytes must be a positive integer or Infinity, got NaN'],
  ])('recordingBound(%p) throws TypeError', (option, error) => {
    expect(() => recordingBound(option)).toThrow(new TypeError(error));
  });
});

describe('MessageLog', () => {
  test('MessageLog.record() within the bound keeps every message, oldest first', () => {
    const log = new MessageLog(recordingBound(true));
    recordAll(log, numbered(0, 3));
    recordAll(log, ['x'], 'dp2');

    expect(texts(log.messages)).toEqual(['0', '1', '2', 'x']);
    expect(texts(log.messagesOf('dp2'))).toEqual(['x']);
    expect(log.droppedMessages).toBe(0);
  });

  test('MessageLog.messages is a new array on every read', () => {
    const log = new MessageLog(recordingBound(true));
    recordAll(log, ['a']);
    const first = log.messages;
    first.pop();

    expect(texts(log.messages)).toEqual(['a']);
    expect(log.messages).not.toBe(log.messages);
  });

  test('MessageLog.record() past maxMessages drops the oldest and counts them', () => {
    const log = new MessageLog({ maxMessages: 3, maxBytes: Infinity });
    recordAll(log, numbered(0, 5));

    expect(texts(log.messages)).toEqual(['2', '3', '4']);
    expect(log.droppedMessages).toBe(2);
  });

  test('MessageLog.record() past maxBytes drops the oldest until the rest fit', () => {
    const log = new MessageLog({ maxMessages: Infinity, maxBytes: 10 });
    recordAll(log, ['aaaa', 'bbbb', 'cccc']);

    expect(texts(log.messages)).toEqual(['bbbb', 'cccc']);
    expect(log.droppedMessages).toBe(1);
  });

  test('MessageLog.record() of one message larger than maxBytes keeps that message alone', () => {
    const log = new MessageLog({ maxMessages: Infinity, maxBytes: 10 });
    recordAll(log, ['aa', 'b'.repeat(20)]);

    expect(texts(log.messages)).toEqual(['b'.repeat(20)]);
    expect(log.droppedMessages).toBe(1);
  });

  test('MessageLog.record() of many messages past the bound keeps the most recent ones in order', () => {
    // Past 1024 drops the array is compacted: what is kept must not change.
    const log = new MessageLog({ maxMessages: 100, maxBytes: Infinity });
    recordAll(log, numbered(0, 5000));

    expect(texts(log.messages)).toEqual(numbered(4900, 5000));
    expect(log.droppedMessages).toBe(4900);
  });

  test('MessageLog.record() without a bound keeps nothing', () => {
    const log = new MessageLog(recordingBound(false));
    recordAll(log, ['a', 'b']);

    expect(log.messages).toEqual([]);
    expect(log.droppedMessages).toBe(0);
  });
});

describe('MessageLog.waitFor()', () => {
  test('MessageLog.waitFor() with the messages already kept resolves with them', async () => {
    const log = new MessageLog(recordingBound(true));
    recordAll(log, numbered(0, 3));

    expect(texts(await log.waitFor(2))).toEqual(['0', '1', '2']);
  });

  test('MessageLog.waitFor() resolves once the count arrives, with every kept message', async () => {
    const log = new MessageLog(recordingBound(true));
    recordAll(log, ['0']);
    const waiting = log.waitFor(3);
    recordAll(log, ['1', '2']);

    expect(texts(await waiting)).toEqual(['0', '1', '2']);
  });

  test('MessageLog.waitFor() with a dataProducerId counts only that producer', async () => {
    const log = new MessageLog(recordingBound(true));
    const waiting = log.waitFor(2, { dataProducerId: 'dp2' });
    recordAll(log, ['a', 'b', 'c'], 'dp1');
    recordAll(log, ['x', 'y'], 'dp2');

    expect(texts(await waiting)).toEqual(['x', 'y']);
  });

  test('MessageLog.waitFor() when fewer arrive in time rejects naming the count', async () => {
    jest.useFakeTimers();
    const log = new MessageLog(recordingBound(true));
    const waiting = log.waitFor(3, { timeoutMs: 500 });
    recordAll(log, ['a']);
    jest.advanceTimersByTime(500);

    await expect(waiting).rejects.toThrow(new Error('only 1 of 3 messages arrived in 500 ms'));
  });

  test('MessageLog.waitFor() when the bound dropped some of them rejects saying so', async () => {
    const log = new MessageLog({ maxMessages: 10000, maxBytes: 10 });
    const waiting = log.waitFor(3);
    recordAll(log, ['aaaa', 'bbbb', 'cccc']);

    await expect(waiting).rejects.toThrow(
      new Error(
        '3 messages arrived but only the last 2 are kept (at most 10000 messages and at most 10 bytes): ' +
          'start the LocalRouter with recordMessages: true to keep every message',
      ),
    );
  });

  test('MessageLog.waitFor() of more than maxMessages rejects at once', async () => {
    const log = new MessageLog({ maxMessages: 5, maxBytes: Infinity });

    await expect(log.waitFor(6)).rejects.toThrow(
      new Error(
        'waitForMessages(6) asks for more messages than this LocalRouter keeps ' +
          '(at most 5 messages): start it with recordMessages: true to keep every message',
      ),
    );
  });

  test('MessageLog.waitFor() without a bound rejects at once', async () => {
    const log = new MessageLog(undefined);

    await expect(log.waitFor(1)).rejects.toThrow(
      new Error(
        'waitForMessages() needs a LocalRouter that records messages (it was started with recordMessages: false)',
      ),
    );
  });
});

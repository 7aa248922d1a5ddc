// The benchmark's router-side pacing (bench/lib/routerPacing.ts): never more in the router's
// SCTP send buffer than the byte and chunk high-water marks allow.
import {
  backlogBytes,
  chunksPerMessage,
  messagesAllowed,
  sendPaced,
  type RouterSendOptions,
} from '../../bench/lib/routerPacing';

const options: RouterSendOptions = {
  size: 1000,
  seconds: 0.05,
  highWater: 10_000,
  maxChunks: 8,
  pollMs: 1,
};

describe('messagesAllowed', () => {
  it('fills up to the byte high-water mark', () => {
    expect(messagesAllowed({ ...options, maxChunks: 100 }, 0)).toBe(10);
    expect(messagesAllowed({ ...options, maxChunks: 100 }, 2500)).toBe(7);
  });

  it('keeps small messages under the chunk limit, one chunk each', () => {
    expect(messagesAllowed({ size: 100, highWater: 1_000_000, maxChunks: 384 }, 0)).toBe(384);
    expect(messagesAllowed({ size: 100, highWater: 1_000_000, maxChunks: 384 }, 38_350)).toBe(0);
  });

  it('counts a large message as the chunks it is sent in', () => {
    expect(chunksPerMessage(1)).toBe(1);
    expect(chunksPerMessage(1100)).toBe(1);
    expect(chunksPerMessage(1101)).toBe(2);
    expect(chunksPerMessage(16 * 1024)).toBe(15);
    // 384 chunks are 25 messages of 16 KiB, whatever the byte mark allows.
    expect(messagesAllowed({ size: 16 * 1024, highWater: 4_000_000, maxChunks: 384 }, 0)).toBe(25);
    expect(
      messagesAllowed({ size: 16 * 1024, highWater: 4_000_000, maxChunks: 384 }, 20 * 16 * 1024),
    ).toBe(5);
  });

  it('allows none above either mark, never a negative count', () => {
    expect(messagesAllowed(options, 20_000)).toBe(0);
    expect(messagesAllowed(options, 9_500)).toBe(0);
  });

  it('refuses a message size of 0', () => {
    expect(() => messagesAllowed({ ...options, size: 0 }, 0)).toThrow(RangeError);
  });
});

describe('backlogBytes', () => {
  it('adds what the worker has not taken in yet', () => {
    expect(backlogBytes(5000, 12_000, 9000)).toBe(8000);
    expect(backlogBytes(5000, 9000, 12_000)).toBe(5000);
  });

  it('is the buffered amount alone when the worker cannot tell', () => {
    expect(backlogBytes(5000, 12_000, NaN)).toBe(5000);
  });
});

describe('sendPaced', () => {
  it('sends in order, only while there is room, and reports the drops', async () => {
    let now = 0;
    let buffered = 0;
    let received = 0;
    const sent: number[] = [];
    let maxSeen = 0;
    const report = await sendPaced(
      {
        send: (seq) => {
          sent.push(seq);
          return 1000 + seq;
        },
        // The worker takes in everything sent and acks 3 messages per check.
        check: () => {
          received = sent.length * options.size;
          const inBuffer = Math.max(0, sent.length - Math.floor(now / 2) * 3) * options.size;
          maxSeen = Math.max(maxSeen, inBuffer);
          buffered = inBuffer;
          return Promise.resolve({ buffered, workerReceivedBytes: received });
        },
        drops: () => 0,
        sleep: (ms) => {
          now += ms;
          return Promise.resolve();
        },
        now: () => {
          now += 0.5;
          return now;
        },
      },
      options,
    );
    expect(sent).toEqual([...sent.keys()]);
    expect(report.sent).toBe(sent.length);
    expect(report.sent).toBeGreaterThan(options.maxChunks);
    expect(maxSeen).toBeLessThanOrEqual(options.maxChunks * options.size);
    expect(report.maxBacklog).toBeLessThanOrEqual(options.maxChunks * options.size);
    expect(report.fullChecks).toBeGreaterThan(0);
    expect(report.firstSendAt).toBe(1000);
    expect(report.lastSendAt).toBe(1000 + report.sent - 1);
    expect(report.drops).toBe(0);
  });
});

// The router's side of the receive benchmark: sending load messages from a DataProducer on
// the DirectTransport to one client's DataConsumer, as fast as the router's SCTP send buffer
// takes them. mediasoup does not queue for a DataConsumer: a message that its SCTP
// association cannot take right now is dropped (the DataConsumer emits `sctpsendbufferfull`).
// usrsctp refuses a message when its send buffer (SO_SNDBUF, mediasoup's sctpSendBufferSize,
// 256 KiB by default) would overflow, or when 512 chunks already wait to be sent or acked
// (sctp_max_chunks_on_queue): a 100 B message is one chunk and a 16 KiB one 15, so the byte
// limit alone does not keep messages from being dropped. The pacing keeps both below their
// limits.
//
// The pure parts (how many to send now) are unit-tested in test/bench; the loop runs in the
// router host (bench/router/host.ts), where the router lives.

export interface RouterSendOptions {
  /** Bytes of each message (the CLI's load message: sequence number and send time first). */
  size: number;
  /** Sending time. */
  seconds: number;
  /** Most bytes allowed in the router's SCTP send buffer (plus what is still on its way there). */
  highWater: number;
  /**
   * Most DATA chunks allowed there (usrsctp refuses past 512 chunks on queue): one per small
   * message, several per large one (chunksPerMessage).
   */
  maxChunks: number;
  /** Sleep between checks when the buffer is full. */
  pollMs: number;
}

export interface RouterSendReport {
  sent: number;
  /** `sctpsendbufferfull` events of the DataConsumer while sending (and until the report). */
  drops: number;
  /** Epoch ms (performance.timeOrigin + now()) of the first and the last send. */
  firstSendAt: number;
  lastSendAt: number;
  /** Buffer checks made, and how many of them found no room. */
  checks: number;
  fullChecks: number;
  /** Largest estimated backlog (bytes in the SCTP send buffer or on the way to it). */
  maxBacklog: number;
}

/**
 * How many messages may be sent now: the backlog is what the worker reported buffered for
 * the association plus what this process sent that the worker has not taken in yet; the
 * room is what keeps it within both the byte and the message high-water marks.
 */
export function messagesAllowed(
  options: Pick<RouterSendOptions, 'size' | 'highWater' | 'maxChunks'>,
  backlogBytes: number,
): number {
  const { size, highWater, maxChunks } = options;
  if (size <= 0) throw new RangeError(`message size must be > 0, got ${size}`);
  const byBytes = Math.floor((highWater - backlogBytes) / size);
  const byChunks = Math.floor(maxChunks / chunksPerMessage(size)) - Math.ceil(backlogBytes / size);
  return Math.max(0, Math.min(byBytes, byChunks));
}

/**
 * User data per DATA chunk, rounded down from what mediasoup's SCTP MTU (1200 bytes) leaves
 * after the headers: a message larger than this goes out as several chunks.
 */
export const CHUNK_PAYLOAD = 1100;

/** The DATA chunks one message of `size` bytes takes, at least one. */
export function chunksPerMessage(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK_PAYLOAD));
}

/**
 * The byte backlog: reported buffered amount plus bytes sent that the worker has not yet
 * received (NaN when it cannot tell: then the buffered amount alone).
 */
export function backlogBytes(
  buffered: number,
  sentBytes: number,
  workerReceivedBytes: number,
): number {
  if (!Number.isFinite(workerReceivedBytes)) return buffered;
  return buffered + Math.max(0, sentBytes - workerReceivedBytes);
}

export interface RouterSendTarget {
  /** Sends message number `seq`; returns its epoch send time. */
  send(seq: number): number;
  /**
   * The association's buffered amount and the bytes the worker has received from this
   * DataProducer (the latter asked first, so that the sum never undercounts).
   */
  check(): Promise<{ buffered: number; workerReceivedBytes: number }>;
  drops(): number;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** Sends for `seconds`, never past the high-water marks; resolves with what happened. */
export async function sendPaced(
  target: RouterSendTarget,
  options: RouterSendOptions,
): Promise<RouterSendReport> {
  const report: RouterSendReport = {
    sent: 0,
    drops: 0,
    firstSendAt: NaN,
    lastSendAt: NaN,
    checks: 0,
    fullChecks: 0,
    maxBacklog: 0,
  };
  const deadline = target.now() + options.seconds * 1000;
  while (target.now() < deadline) {
    const { buffered, workerReceivedBytes } = await target.check();
    report.checks++;
    const backlog = backlogBytes(buffered, report.sent * options.size, workerReceivedBytes);
    report.maxBacklog = Math.max(report.maxBacklog, backlog);
    const allowed = messagesAllowed(options, backlog);
    if (allowed === 0) {
      report.fullChecks++;
      await target.sleep(options.pollMs);
      continue;
    }
    for (let i = 0; i < allowed; i++) {
      const at = target.send(report.sent);
      if (report.sent === 0) report.firstSendAt = at;
      report.lastSendAt = at;
      report.sent++;
    }
  }
  report.drops = target.drops();
  return report;
}

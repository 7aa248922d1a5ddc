import { OperationError } from '../errors.js';

/**
 * How long a released stream id rests before it is handed out again. mediasoup resets its
 * side of a stream twice when a channel closes (in reply to our reset, and when its own
 * DataProducer closes), and libdatachannel gives no notice when those resets land: one that
 * arrives after the id got a new channel closes that channel. A second covers a few
 * round trips on any real network.
 */
export const STREAM_ID_QUARANTINE_MS = 1000;

/**
 * SCTP stream ids of one transport. mediasoup speaks no DCEP, so every channel is
 * negotiated on an id we pick. As mediasoup-client does, ids go round-robin: the next one
 * after the last given out, wrapping at the stream count. A closed id so comes back as late
 * as possible, which gives an app all that time to close the router's DataProducer on that
 * stream (the router refuses a second DataProducer on a stream it still has one on). Ids in
 * use or still resting are skipped, so a long-lived transport can open and close producers
 * forever within the streams the router accepts.
 */
export class StreamIds {
  private readonly used: Uint8Array;
  /** When each id was released; -Infinity for ids never used. */
  private readonly releasedAt: Float64Array;
  /** Where the next search starts: just after the id given out last. */
  private next = 0;

  constructor(
    readonly count: number,
    private readonly quarantineMs = STREAM_ID_QUARANTINE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.used = new Uint8Array(count);
    this.releasedAt = new Float64Array(count).fill(-Infinity);
  }

  /**
   * Takes the first free id, from the one after the last given out, whose quarantine is
   * over. Returns undefined when the only free ids are still resting (see `msUntilFree()`);
   * throws OperationError when all are in use.
   */
  allocate(): number | undefined {
    const now = this.now();
    let resting = false;
    for (let step = 0; step < this.count; step++) {
      const id = (this.next + step) % this.count;
      if (this.used[id] === 1) continue;
      if (now - (this.releasedAt[id] ?? -Infinity) < this.quarantineMs) {
        resting = true;
        continue;
      }
      this.used[id] = 1;
      this.next = (id + 1) % this.count;
      return id;
    }
    if (resting) return undefined;
    throw new OperationError(
      `no free SCTP stream id: all ${this.count} streams of this transport are in use ` +
        '(close a DataProducer to free one)',
    );
  }

  /** Milliseconds until a resting id may be taken again, or undefined if none rests. */
  msUntilFree(): number | undefined {
    const now = this.now();
    let soonest: number | undefined;
    for (let id = 0; id < this.count; id++) {
      if (this.used[id] === 1) continue;
      const left = this.quarantineMs - (now - (this.releasedAt[id] ?? -Infinity));
      if (left > 0 && (soonest === undefined || left < soonest)) soonest = left;
    }
    return soonest;
  }

  /** Frees an id; it rests first unless libdatachannel never had a channel on it. */
  release(id: number, { rest = true }: { rest?: boolean } = {}): void {
    if (this.used[id] !== 1) return;
    this.used[id] = 0;
    if (rest) this.releasedAt[id] = this.now();
  }

  inUse(): number {
    return this.used.reduce((sum, bit) => sum + bit, 0);
  }
}

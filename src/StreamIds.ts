import { OperationError } from './errors.js';

/**
 * SCTP stream ids of one transport. mediasoup speaks no DCEP, so every channel is
 * negotiated on an id we pick: the lowest free one, so that a long-lived transport can
 * open and close producers forever within the streams the router accepts.
 */
export class StreamIds {
  private readonly used: Uint8Array;
  private lowestFree = 0;

  constructor(readonly count: number) {
    this.used = new Uint8Array(count);
  }

  allocate(): number {
    for (let id = this.lowestFree; id < this.count; id++) {
      if (this.used[id] === 0) {
        this.used[id] = 1;
        this.lowestFree = id + 1;
        return id;
      }
    }
    throw new OperationError(
      `no free SCTP stream id: all ${this.count} streams of this transport are in use ` +
        '(close a DataProducer to free one)',
    );
  }

  release(id: number): void {
    if (this.used[id] !== 1) return;
    this.used[id] = 0;
    if (id < this.lowestFree) this.lowestFree = id;
  }

  inUse(): number {
    return this.used.reduce((sum, bit) => sum + bit, 0);
  }
}

/**
 * Runs tasks one at a time, in the order they were pushed, as mediasoup-client's AwaitQueue
 * does for its transports: `produceData()` and `consumeData()` each take a stream and may
 * wait for signaling, and the next call must see what the previous one left. A task that
 * fails does not stop the ones behind it.
 */
export class SerialQueue {
  private _tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task pushed before it has settled; settles as `task` does. */
  push<T>(task: () => Promise<T>): Promise<T> {
    const run = this._tail.then(task);
    this._tail = run.catch(() => undefined);
    return run;
  }
}

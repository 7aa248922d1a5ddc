// One timer paces every bot of a process. A bot waiting for its next message joins the
// slot of the tick it is due at, and each tick wakes the bots of its own slot only: a
// second of N bots at R msg/s costs 1000 / tickMs timer callbacks and N × R wake-ups,
// instead of N × R timers of their own, each with a listener on the run's shared
// AbortSignal (whose addEventListener walks every listener already there, so that each
// wait cost time linear in the bots). A message goes out at most one tick late; the rate
// holds, since pacing counts from the start of the send, not from the last wake-up.

/** The default tick: how late at most a paced message goes out. */
export const TICK_MS = 10;

/** A wait in the tick: woken at its slot's tick, or earlier by wake(). */
export class TickSleeper {
  /** The slot it waits in, while it waits. */
  slot: number | undefined;
  private resolve: (() => void) | undefined;

  constructor(private readonly tick: SendTick) {}

  /** Resolves at the first tick at or after `at` (performance.now() ms), or on wake(). */
  sleep(at: number): Promise<void> {
    this.wake();
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.tick.join(this, at);
    });
  }

  /** Ends the current sleep now and leaves the tick (an abort, a close). */
  readonly wake = (): void => {
    this.tick.leave(this);
    this.fire();
  };

  /** @internal The tick's call: the slot is due. */
  fire(): void {
    const resolve = this.resolve;
    this.resolve = undefined;
    this.slot = undefined;
    resolve?.();
  }
}

export class SendTick {
  private readonly slots = new Map<number, Set<TickSleeper>>();
  private timer: NodeJS.Timeout | undefined;
  /** The last slot handled. */
  private done = 0;
  private waiting = 0;

  constructor(
    readonly tickMs: number = TICK_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Sleepers in the tick now. */
  get size(): number {
    return this.waiting;
  }

  /** Whether the tick's timer runs: while someone waits, and one tick after. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  sleeper(): TickSleeper {
    return new TickSleeper(this);
  }

  /** @internal */
  join(sleeper: TickSleeper, at: number): void {
    if (!this.timer) {
      this.done = Math.floor(this.now() / this.tickMs);
      this.timer = setInterval(this.onTick, this.tickMs);
    }
    const slot = Math.max(Math.ceil(at / this.tickMs), this.done + 1);
    let sleepers = this.slots.get(slot);
    if (!sleepers) {
      sleepers = new Set();
      this.slots.set(slot, sleepers);
    }
    sleepers.add(sleeper);
    sleeper.slot = slot;
    this.waiting++;
  }

  /** @internal */
  leave(sleeper: TickSleeper): void {
    const { slot } = sleeper;
    if (slot === undefined) return;
    const sleepers = this.slots.get(slot);
    if (sleepers?.delete(sleeper)) {
      this.waiting--;
      if (sleepers.size === 0) this.slots.delete(slot);
    }
    sleeper.slot = undefined;
  }

  private readonly onTick = (): void => {
    // Stops after a whole tick without sleepers, not as the last one wakes: the bots it
    // woke usually sleep again at once, and the timer stays the same one.
    if (this.waiting === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const current = Math.floor(this.now() / this.tickMs);
    // Usually one slot; after a busy event loop, every slot missed meanwhile.
    for (let slot = this.done + 1; slot <= current; slot++) {
      const sleepers = this.slots.get(slot);
      if (!sleepers) continue;
      this.slots.delete(slot);
      this.waiting -= sleepers.size;
      for (const sleeper of sleepers) sleeper.fire();
    }
    this.done = Math.max(this.done, current);
  };
}

/** The tick every bot of the process shares unless given its own. */
export const sharedSendTick = new SendTick();

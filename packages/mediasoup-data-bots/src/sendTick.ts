// One timer paces every bot of a process. A bot waiting for its next message joins the
// slot of the tick it is due at, and the timer fires at the next slot that has bots, waking
// those only: a second of N bots at R msg/s costs at most 1000 / tickMs timer callbacks and
// N × R wake-ups, instead of N × R timers of their own, each with a listener on the run's
// shared AbortSignal (whose addEventListener walks every listener already there, so that
// each wait cost time linear in the bots); idle bots cost no timer callbacks at all. A
// message goes out at most one tick late; the rate holds, since pacing counts from the
// start of the send, not from the last wake-up.

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
  /** The slots that have sleepers, earliest first (a binary min-heap). */
  private readonly due: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The slot the timer is set for. */
  private timerSlot = Infinity;
  private waiting = 0;

  constructor(
    readonly tickMs: number = TICK_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Sleepers in the tick now. */
  get size(): number {
    return this.waiting;
  }

  /** Whether the tick's timer is set (only while someone waits). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  sleeper(): TickSleeper {
    return new TickSleeper(this);
  }

  /** @internal */
  join(sleeper: TickSleeper, at: number): void {
    const slot = Math.ceil(at / this.tickMs);
    let sleepers = this.slots.get(slot);
    if (!sleepers) {
      sleepers = new Set();
      this.slots.set(slot, sleepers);
      heapPush(this.due, slot);
    }
    sleepers.add(sleeper);
    sleeper.slot = slot;
    this.waiting++;
    if (slot < this.timerSlot) this.arm(slot);
  }

  /** @internal */
  leave(sleeper: TickSleeper): void {
    const { slot } = sleeper;
    if (slot === undefined) return;
    const sleepers = this.slots.get(slot);
    // An emptied slot stays in the heap: its tick finds nobody (at most one idle callback).
    if (sleepers?.delete(sleeper)) this.waiting--;
    sleeper.slot = undefined;
    if (this.waiting === 0) this.disarm();
  }

  private arm(slot: number): void {
    clearTimeout(this.timer);
    this.timerSlot = slot;
    this.timer = setTimeout(this.onTick, Math.max(0, slot * this.tickMs - this.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerSlot = Infinity;
    this.slots.clear();
    this.due.length = 0;
  }

  private readonly onTick = (): void => {
    this.timer = undefined;
    this.timerSlot = Infinity;
    const current = Math.floor(this.now() / this.tickMs);
    // Usually one slot; after a busy event loop, every slot missed meanwhile.
    while (this.due.length > 0 && (this.due[0] ?? Infinity) <= current) {
      const slot = heapPop(this.due);
      const sleepers = this.slots.get(slot);
      if (!sleepers) continue;
      this.slots.delete(slot);
      this.waiting -= sleepers.size;
      for (const sleeper of sleepers) sleeper.fire();
    }
    // The bots just woken usually sleep again at once, in the continuations that their
    // wake-up queued before this: the first of them arms the timer, and this does not.
    queueMicrotask(this.rearm);
  };

  private readonly rearm = (): void => {
    if (this.timer !== undefined) return;
    const next = this.due[0];
    if (next !== undefined && this.waiting > 0) this.arm(next);
    else if (this.waiting === 0) this.disarm();
  };
}

function heapPush(heap: number[], value: number): void {
  let i = heap.push(value) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent] as number;
    if (p <= value) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0] as number;
  const last = heap.pop() as number;
  const n = heap.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  }
  return top;
}

/** The tick every bot of the process shares unless given its own. */
export const sharedSendTick = new SendTick();

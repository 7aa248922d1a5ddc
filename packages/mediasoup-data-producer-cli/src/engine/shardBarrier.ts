// The barriers of a sharded run whose bots consume (rooms, consumers): the shards meet at
// each stage in order, through the parent. `producers`: every shard has connected its bots
// and reports their producers, and is given the run's (its bots then consume those of other
// shards through the app). `consumersOpen`: every shard's consumers are open, so every
// producer may send (the one-process rule: producers start once every DataConsumer is open).
// `sent`: every shard has stopped sending and reports its producers' counts, and is given
// the run's (what its consumers should have received). A shard that reaches a stage has
// passed the earlier ones (it may skip one when its run stops early), and a shard that
// ended is dropped: no stage waits for it, and it gives nothing.

export const SHARD_STAGES = ['producers', 'consumersOpen', 'sent'] as const;
export type ShardStage = (typeof SHARD_STAGES)[number];

/** Bot number (the run's) → its producers' ids. */
export type ProducerMap = Record<number, string[]>;
/** Producer id → messages it sent. */
export type SentMap = Record<string, number>;

export class ShardBarrier {
  /** Per shard, the index of the last stage it reached (-1: none; dropped: past the last). */
  private readonly reached: number[];
  private readonly payloads: (unknown[] | undefined)[] = SHARD_STAGES.map(() => undefined);
  private released = 0;

  /** `release` is called once per stage, in order, with what the shards gave (in order). */
  constructor(
    shards: number,
    private readonly release: (stage: ShardStage, payloads: unknown[]) => void,
  ) {
    this.reached = Array.from({ length: shards }, () => -1);
  }

  /** The stages released so far. */
  get releasedStages(): ShardStage[] {
    return SHARD_STAGES.slice(0, this.released);
  }

  arrive(shard: number, stage: ShardStage, payload?: unknown): void {
    const index = SHARD_STAGES.indexOf(stage);
    const reached = this.reached[shard];
    if (reached === undefined || index <= reached) return;
    this.reached[shard] = index;
    if (payload !== undefined) (this.payloads[index] ??= [])[shard] = payload;
    this.check();
  }

  /** The shard ended: no stage waits for it any more. */
  drop(shard: number): void {
    if (this.reached[shard] === undefined) return;
    this.reached[shard] = SHARD_STAGES.length;
    this.check();
  }

  private check(): void {
    while (this.released < SHARD_STAGES.length) {
      const index = this.released;
      if (this.reached.some((r) => r < index)) return;
      this.released++;
      const stage = SHARD_STAGES[index] as ShardStage;
      this.release(
        stage,
        (this.payloads[index] ?? []).filter((p) => p !== undefined),
      );
    }
  }
}

/** The run's producers, from the shards' maps. */
export function mergeProducerMaps(maps: readonly ProducerMap[]): ProducerMap {
  return Object.assign({}, ...maps) as ProducerMap;
}

/** The run's sent counts, from the shards' maps. */
export function mergeSentMaps(maps: readonly SentMap[]): SentMap {
  return Object.assign({}, ...maps) as SentMap;
}

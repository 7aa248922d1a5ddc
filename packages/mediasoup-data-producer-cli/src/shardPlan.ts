// How many shards (child processes) a run's bots go to, and how many bots each. Inside
// node-datachannel every ICE agent of a process shares one libjuice poll thread whose cost
// grows with the square of the agents (docs/scale.md): below a few hundred bots per process
// it stays cheap, so a run is cut into shards of at most BOTS_PER_SHARD bots, and spread over
// the machine's cores when it has enough bots.

import { availableParallelism } from 'node:os';

import { UsageError } from './errors.js';

/**
 * The default cap of bots per shard. Measured at 1 msg/s with a 5-10 s ramp on 2 cores: 500
 * bots in one process connect with p99 0.1 s, 1,000 with p99 1.2 s (its one JavaScript thread
 * does every handshake), 1,000 in shards of 334 with p99 0.12 s; the libjuice probe's poll
 * thread costs 0.046 core at 250 agents, 0.148 at 500, 0.46 at 1,000.
 */
export const BOTS_PER_SHARD = 400;
/** Below this many bots a shard costs more (a Node process, ~50 MB) than it saves. */
export const MIN_BOTS_PER_SHARD = 100;
export const MAX_SHARDS = 256;

export interface ShardRequest {
  bots: number;
  /** --shards */
  shards?: number;
  /** --bots-per-shard */
  botsPerShard?: number;
  /** Default: os.availableParallelism(). */
  cores?: number;
}

/** Bots per shard, in order (one entry: the run stays in this process). Throws UsageError. */
export function planShards({
  bots,
  shards,
  botsPerShard,
  cores = availableParallelism(),
}: ShardRequest): number[] {
  let count: number;
  if (shards !== undefined && botsPerShard !== undefined) {
    if (shards * botsPerShard < bots) {
      throw new UsageError(
        `--shards ${shards} × --bots-per-shard ${botsPerShard} = ${shards * botsPerShard} bots, fewer than --transports ${bots}: give one of them, or enough of both`,
      );
    }
    if ((shards - 1) * botsPerShard >= bots) {
      throw new UsageError(
        `--shards ${shards} with --bots-per-shard ${botsPerShard}: ${Math.ceil(bots / botsPerShard)} shards hold the ${bots} bots, so ${shards} would leave some empty; give one of them`,
      );
    }
    count = shards;
  } else if (shards !== undefined) {
    count = shards;
  } else if (botsPerShard !== undefined) {
    count = Math.ceil(bots / botsPerShard);
  } else {
    const byCap = Math.ceil(bots / BOTS_PER_SHARD);
    const byCores = Math.min(cores, Math.floor(bots / MIN_BOTS_PER_SHARD));
    count = Math.max(1, byCap, byCores);
  }
  if (count > bots) {
    throw new UsageError(`--shards ${count}: more shards than bots (--transports ${bots})`);
  }
  if (count > MAX_SHARDS) {
    throw new UsageError(
      `${count} shards: at most ${MAX_SHARDS} (raise --bots-per-shard or lower --shards)`,
    );
  }
  // As even as possible: the first ones take the remainder.
  const base = Math.floor(bots / count);
  const extra = bots % count;
  return Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
}

// Who consumes whom: with `consumers` n, bot i's producers are consumed by the n bots after
// it (i+1 … i+n, round the ring); with `roomSize` k, bots are grouped in rooms of k (the last
// room may be smaller) and each consumes every other bot of its room, as in a chat room.
// A bot is one send transport with its producers; it consumes on one recv transport.

export interface FanOutConfig {
  /** Bots that consume each producer; 0 for none. */
  consumers: number;
  /** Bots per room; 0 for no rooms. Excludes consumers. */
  roomSize: number;
}

/** For each bot (transport index), the bots whose producers it consumes, in order. */
export function consumedBots(
  transports: number,
  { consumers, roomSize }: FanOutConfig,
): number[][] {
  if (consumers > 0 && roomSize > 0) throw new Error('consumers and roomSize exclude each other');
  const plan: number[][] = Array.from({ length: transports }, () => []);
  if (roomSize > 0) {
    for (let bot = 0; bot < transports; bot++) {
      const first = Math.floor(bot / roomSize) * roomSize;
      const end = Math.min(first + roomSize, transports);
      for (let other = first; other < end; other++) if (other !== bot) plan[bot]?.push(other);
    }
  } else if (consumers > 0) {
    if (consumers >= transports) {
      throw new Error(`${consumers} consumers per producer need more than ${transports} bots`);
    }
    for (let bot = 0; bot < transports; bot++) {
      for (let k = 1; k <= consumers; k++) plan[(bot + k) % transports]?.push(bot);
    }
    for (const list of plan) list.sort((a, b) => a - b);
  }
  return plan;
}

/** For each bot, how many bots consume its producers. */
export function fanOutPerBot(plan: number[][]): number[] {
  const fanOut = plan.map(() => 0);
  for (const list of plan) for (const bot of list) fanOut[bot] = (fanOut[bot] ?? 0) + 1;
  return fanOut;
}

/**
 * For each bot of one shard (the run's bots `first` .. `first + count - 1`), the bots of the
 * run whose producers it consumes: the run's plan, so a room may span shards.
 */
export function consumedBotsOfShard(
  runTransports: number,
  first: number,
  count: number,
  fanOut: FanOutConfig,
): number[][] {
  return consumedBots(runTransports, fanOut).slice(first, first + count);
}

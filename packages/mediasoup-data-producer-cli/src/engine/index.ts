// The load engine: runs bots of mediasoup-data-bots through a SignalingAdapter, sends
// numbered, timestamped messages, drains and closes. It knows nothing of the command line.

export { LoadEngine } from './loadEngine.js';
export { checkMessageSize, MessageTooLargeError } from 'mediasoup-data-bots';
export { ConsumeNotSupportedError } from './consumerSide.js';
export { consumedBots, consumedBotsOfShard, fanOutPerBot, type FanOutConfig } from './fanOut.js';
export type * from './types.js';
export {
  ShardedEngine,
  type FromShard,
  type ShardTask,
  type ShardedEngineOptions,
  type ToShard,
} from './shardedEngine.js';
export {
  mergeProducerMaps,
  mergeSentMaps,
  SHARD_STAGES,
  ShardBarrier,
  type ProducerMap,
  type SentMap,
  type ShardStage,
} from './shardBarrier.js';
export {
  mergeConsumerSides,
  mergeReceiverReports,
  mergeShardResults,
  type ShardPart,
} from './shardMerge.js';

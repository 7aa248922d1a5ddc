// The load engine: opens transports and DataProducers through a SignalingAdapter, sends
// numbered, timestamped messages, drains and closes. It knows nothing of the command line.

export { LoadEngine } from './loadEngine.js';
export { checkMessageSize, MessageTooLargeError } from './messageSize.js';
export { ConsumeNotSupportedError } from './consumerSide.js';
export { consumedBots, fanOutPerBot, type FanOutConfig } from './fanOut.js';
export type * from './types.js';

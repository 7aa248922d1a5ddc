// Everything a user may need to name in a type, as `types.X` (mediasoup-client's style).
export type * from './types.js';
export type { DeviceLoadOptions, DeviceObserverEvents, DeviceOptions } from './Device.js';
export type {
  ProduceDataParameters,
  TransportEvents,
  TransportObserverEvents,
  TransportOptions,
  TransportDirection,
  TransportStat,
} from './Transport.js';
export type {
  CloseGracefullyOptions,
  DataProducerEvents,
  DataProducerObserverEvents,
  DataProducerOptions,
  DataProducerReadyState,
  DataProducerSendData,
} from './DataProducer.js';
export type {
  DataConsumerBinaryMessage,
  DataConsumerBinaryType,
  DataConsumerEvents,
  DataConsumerMessage,
  DataConsumerObserverEvents,
  DataConsumerOptions,
  DataConsumerReadyState,
} from './DataConsumer.js';
export type { Device } from './Device.js';
export type { Transport } from './Transport.js';
export type { DataProducer } from './DataProducer.js';
export type { DataConsumer } from './DataConsumer.js';
export type {
  HandlerCandidateStats,
  HandlerDataChannel,
  HandlerEvents,
  HandlerFactory,
  HandlerInterface,
  HandlerReceiveDataChannelOptions,
  HandlerReceiveDataChannelResult,
  HandlerRunOptions,
  HandlerSctpParameters,
  HandlerSctpStreamParameters,
  HandlerSendDataChannelOptions,
  HandlerSendDataChannelResult,
  HandlerTransportStats,
  NativeChannel,
} from './handlers/HandlerInterface.js';
export type { HandlerStatsEndpoint, HandlerStatsOptions } from './handlers/statsReport.js';
export type { SctpSettings } from './handlers/NodeDataChannelHandler.js';
export type {
  FakeDataChannel,
  FakeDataChannelInit,
  FakeHandler,
  FakeHandlerOptions,
} from './handlers/FakeHandler.js';

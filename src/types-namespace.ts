// Everything a user may need to name in a type, as `types.X` (mediasoup-client's style).
export type * from './types.js';
export type { DeviceLoadOptions, DeviceObserverEvents } from './Device.js';
export type {
  ProduceDataParameters,
  TransportEvents,
  TransportObserverEvents,
  TransportOptions,
  TransportStat,
} from './Transport.js';
export type {
  DataProducerEvents,
  DataProducerObserverEvents,
  DataProducerOptions,
  DataProducerReadyState,
  DataProducerSendData,
} from './DataProducer.js';
export type { Device } from './Device.js';
export type { Transport } from './Transport.js';
export type { DataProducer } from './DataProducer.js';

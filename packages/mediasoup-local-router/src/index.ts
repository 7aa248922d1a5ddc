export { LocalRouter, DEFAULT_MESSAGE_RECORDING } from './LocalRouter.js';
export type {
  ConsumeDataParams,
  LocalDataConsumer,
  LocalDataProducerInfo,
  LocalDirectDataProducer,
  LocalRouterOptions,
  LocalTransportOptions,
  MediasoupOrigin,
  MessageRecording,
  ProduceDataParams,
  ReceivedMessage,
  SctpZeroChecksum,
} from './LocalRouter.js';
export {
  loadMediasoup,
  locateMediasoup,
  mediasoupPackageDir,
  projectMediasoupDir,
  BUILT_IN_MEDIASOUP_VERSION,
} from './loadMediasoup.js';
export type { MediasoupLocation, MediasoupSource } from './loadMediasoup.js';
export { checkWorkerPairing, workerBinary } from './workerPairing.js';
export type { WorkerBinary } from './workerPairing.js';
export type { MsTransportCreated as LocalTransportParameters } from './mediasoupTypes.js';

export { LocalRouter } from './LocalRouter.js';
export { DEFAULT_MESSAGE_RECORDING } from './MessageLog.js';
export type {
  ConsumeDataParams,
  LocalDataConsumer,
  LocalDataProducerInfo,
  LocalDirectDataProducer,
  LocalRouterOptions,
  LocalTransportOptions,
  MediasoupOrigin,
  ProduceDataParams,
  SctpZeroChecksum,
} from './LocalRouter.js';
export type { MessageRecording, ReceivedMessage } from './MessageLog.js';
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

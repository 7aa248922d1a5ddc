export { LocalRouter } from './LocalRouter.js';
export type {
  LocalRouterOptions,
  LocalTransportOptions,
  ProduceDataParams,
  ReceivedMessage,
} from './LocalRouter.js';
export { loadMediasoup, mediasoupPackageDir, BUILT_IN_MEDIASOUP_VERSION } from './loadMediasoup.js';
export type { MsTransportCreated as LocalTransportParameters } from './mediasoupTypes.js';

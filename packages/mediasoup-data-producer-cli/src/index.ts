// `mediasoup-data-producer/cli`: what an app needs to write its own signaling adapter for
// `mediasoup-data-producer load` and to report what its router received (docs/cli.md).
export type {
  ConsumeDataRequest,
  ConsumeDataResult,
  CreateWebRtcTransportRequest,
  DataProducerInfo,
  ListDataProducersRequest,
  ProduceDataRequest,
  SignalingAdapter,
  SignalingAdapterContext,
  SignalingAdapterFactory,
  TransportDirection,
  WebRtcTransportParameters,
} from './adapter.js';
export { decodeMessage, encodeMessage, HEADER_SIZE, type DecodedMessage } from './message.js';
export {
  ReceiverChecker,
  type ReceiverCheckerOptions,
  type ReceiverExpectation,
  type ReceiverProducerReport,
  type ReceiverReport,
  type ReceiverSecond,
} from './receiver.js';
export {
  importAdapterModule,
  instantiateAdapter,
  isAdapter,
  pickAdapterExport,
  SIGNALING_URL_ENV,
} from './adapter.js';
export { createWebSocketAdapter, type WebSocketAdapterOptions } from './adapters/websocket.js';
export { signalThrough } from './signalThrough.js';

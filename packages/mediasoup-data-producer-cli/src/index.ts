// `mediasoup-data-producer-cli`: what an app needs to write its own signaling adapter for
// `mediasoup-data-producer load` and to report what its router received (docs/cli.md). They
// live in mediasoup-data-bots (the bot both the CLI and the Artillery engine drive) and are
// re-exported here for code that imports them from the CLI.
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
  DecodedMessage,
  ReceiverCheckerOptions,
  ReceiverExpectation,
  ReceiverProducerReport,
  ReceiverReport,
  ReceiverSecond,
  WebSocketAdapterOptions,
} from 'mediasoup-data-bots';
export {
  createWebSocketAdapter,
  decodeMessage,
  encodeMessage,
  HEADER_SIZE,
  importAdapterModule,
  instantiateAdapter,
  isAdapter,
  pickAdapterExport,
  ReceiverChecker,
  SIGNALING_URL_ENV,
  signalThrough,
} from 'mediasoup-data-bots';

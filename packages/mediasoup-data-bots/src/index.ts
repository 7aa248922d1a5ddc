// mediasoup-data-bots: what a data bot is, without a command line. The signaling adapter
// interface and the JSON-over-WebSocket adapter, signalThrough(), the numbered message
// format, the arrival checks, and one Bot; the mediasoup-data-producer command line and the
// Artillery engine drive it.
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
export {
  AdapterModuleError,
  importAdapterModule,
  instantiateAdapter,
  isAdapter,
  pickAdapterExport,
  SIGNALING_URL_ENV,
} from './adapter.js';
export {
  createWebSocketAdapter,
  JsonWsClient,
  type WebSocketAdapterOptions,
} from './adapters/websocket.js';
export { signalThrough } from './signalThrough.js';
export {
  decodeMessage,
  encodeMessage,
  writeMessage,
  epochNow,
  HEADER_SIZE,
  type DecodedMessage,
} from './message.js';
export {
  ReceiverChecker,
  type ReceiverCheckerOptions,
  type ReceiverExpectation,
  type ReceiverProducerReport,
  type ReceiverProgress,
  type ReceiverReport,
  type ReceiverSecond,
} from './receiver.js';
export { Histogram, histogramOf, percentilesOf, type Percentiles } from './histogram.js';
export { errorMessage, NotSupportedError } from './errors.js';
export { importModule } from './importModule.js';
export { Logger } from './logger.js';
export { checkMessageSize, MessageTooLargeError, type MessageSizeProblem } from './messageSize.js';
export { BURST, sendBudget, type SendBudget } from './pacing.js';
export { SendTick, sharedSendTick, TICK_MS, TickSleeper } from './sendTick.js';
export {
  abortableSleep,
  aborted,
  delay,
  settleWithin,
  withTimeout,
  yieldToEventLoop,
} from './async.js';
export { waitLow, waitOpen } from './waits.js';
export { closeWithoutLoss, GRACEFUL_CLOSE_MS } from './closeWithoutLoss.js';
export {
  DEFAULT_SCTP_SETTINGS,
  SCTP_SETTINGS_MODES,
  useSctpSettings,
  type SctpSettingsMode,
} from './sctpSettings.js';
export {
  Bot,
  BotError,
  CLOSE_TIMEOUT_MS,
  maxBufferedAmountFor,
  type BotConsumer,
  type BotCounter,
  type BotErrorKind,
  type BotHistogram,
  type BotMetrics,
  type BotOptions,
  type BotProduceOptions,
  type BotProducer,
  type BotRoomOptions,
  type BotSendOptions,
  type BotWaitOptions,
} from './Bot.js';

// `mediasoup-data-producer-cli/testing`: the local router's signaling and receiving side
// (what `local-router` serves), for a harness that carries the requests itself (the
// repository's benchmark runs it in its router host over IPC) or that serves it over the
// WebSocket protocol in its own process (the Artillery engine's tests). Not part of the
// command line.
export {
  answer,
  serveLocalRouter,
  type Answer,
  type LocalRouterService,
} from './localRouterService.js';
export {
  startSignalingServer,
  type SignalingServer,
  type SignalingServerOptions,
} from './signalingServer.js';

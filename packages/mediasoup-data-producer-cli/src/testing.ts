// `mediasoup-data-producer-cli/testing`: the local router's signaling and receiving side
// (what `local-router` serves), for a harness that carries the requests itself: the
// repository's benchmark runs it in its router host over IPC. Not part of the command line.
export {
  answer,
  serveLocalRouter,
  type Answer,
  type LocalRouterService,
} from './localRouterService.js';

// `mediasoup-data-producer/testing`: the SDP helpers behind a send transport, for a harness
// that drives a bare node-datachannel PeerConnection against a mediasoup router with no layer
// of ours but the answer SDP (the repository's smoke test, and the benchmark's `raw` client,
// the ceiling of this library). Not part of the mediasoup-client-like API.
export {
  buildAnswerSdp,
  localFingerprint,
  sdpAttribute,
  type AnswerSdpInput,
} from './sdp/answerSdp.js';

'use strict';
// A signaling adapter module for the tests: the shipped websocket adapter, except that the
// app answers createWebRtcTransport only after SLOW_APP_MS (default 1500) milliseconds, as a
// slow app does, so that a bot's connect step gives up first and must close the transport
// answered later on the server itself.
const { createWebSocketAdapter } = require('mediasoup-data-producer-cli');

module.exports = function slowApp(context) {
  const adapter = createWebSocketAdapter({ url: context.url });
  const delayMs = Number(context.env.SLOW_APP_MS ?? 1500);
  return {
    ...adapter,
    createWebRtcTransport: (request) =>
      new Promise((resolve) => setTimeout(resolve, delayMs)).then(() =>
        adapter.createWebRtcTransport(request),
      ),
  };
};

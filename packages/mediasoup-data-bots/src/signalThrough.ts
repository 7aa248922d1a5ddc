// A transport's signaling events answered by a SignalingAdapter: what every bot of the load
// engine, its consuming bots and the Artillery engine's bots do, and what an app's own bot
// written on an adapter does too.

import type { Transport } from 'mediasoup-data-producer';

import type { SignalingAdapter } from './adapter.js';

/**
 * Answers the transport's `connect` (connectWebRtcTransport) and, on a send transport,
 * `producedata` (produceData) through the adapter; its rejections become the events'
 * errbacks, so the library reports them as it does for any signaling failure.
 */
export function signalThrough(
  transport: Transport,
  adapter: Pick<SignalingAdapter, 'connectWebRtcTransport' | 'produceData'>,
): void {
  const transportId = transport.id;
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    adapter.connectWebRtcTransport({ transportId, dtlsParameters }).then(callback, errback);
  });
  if (transport.direction !== 'send') return;
  transport.on('producedata', (parameters, callback, errback) => {
    adapter
      .produceData({
        transportId,
        sctpStreamParameters: parameters.sctpStreamParameters,
        label: parameters.label,
        protocol: parameters.protocol,
        appData: parameters.appData,
      })
      .then(({ id }) => {
        callback({ id });
      }, errback);
  });
}

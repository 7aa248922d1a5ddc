// `--signaling websocket`: the bots package's JSON-over-WebSocket adapter on the URL of
// --signaling-url (or MDP_SIGNALING_URL), checked with the flags' names.

import {
  createWebSocketAdapter,
  errorMessage,
  SIGNALING_URL_ENV,
  type SignalingAdapter,
  type SignalingAdapterContext,
} from 'mediasoup-data-bots';

import { UsageError } from '../errors.js';

/** `--signaling websocket`: the URL is context.url (--signaling-url or MDP_SIGNALING_URL). */
export function createAdapter(context: SignalingAdapterContext): SignalingAdapter {
  const { url } = context;
  if (!url) {
    throw new UsageError(
      `--signaling websocket needs a URL: give --signaling-url ws://host:port or set ${SIGNALING_URL_ENV}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new UsageError(`--signaling-url: not a URL: ${url} (${errorMessage(error)})`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new UsageError(`--signaling-url: expected a ws:// or wss:// URL, got ${url}`);
  }
  return createWebSocketAdapter({ url });
}

// An adapter module for an app that pushes its consumers and has no consumeData request, as
// mediasoup-demo: the built-in WebSocket adapter, one session per bot, without consumeData.
import { createWebSocketAdapter } from 'mediasoup-data-bots';

export function createAdapter({ url }) {
  const adapter = createWebSocketAdapter({ url, perBot: true });
  return {
    ...adapter,
    async openSession(info) {
      const session = await adapter.openSession(info);
      delete session.consumeData;
      return session;
    },
  };
}

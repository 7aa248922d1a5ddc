import type { NativeIceServer } from './native.js';
import type { IceServer } from './types.js';

/** RTCIceServer URLs as libdatachannel takes them: STUN as a URL string, TURN as an object. */
export function toNativeIceServers(servers: readonly IceServer[]): (string | NativeIceServer)[] {
  const native: (string | NativeIceServer)[] = [];
  for (const server of servers) {
    for (const url of typeof server.urls === 'string' ? [server.urls] : server.urls) {
      const match =
        /^(stuns?|turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i.exec(url);
      if (!match) throw new TypeError(`cannot parse ICE server URL '${url}'`);
      const [, scheme = '', rawHost = '', port, transport] = match;
      const hostname = rawHost.replace(/^\[|\]$/g, '');
      const lowerScheme = scheme.toLowerCase();
      if (lowerScheme.startsWith('stun')) {
        native.push(`stun:${rawHost}:${port ?? '3478'}`);
        continue;
      }
      const secure = lowerScheme === 'turns';
      native.push({
        hostname,
        port: Number(port ?? (secure ? 5349 : 3478)),
        username: server.username ?? '',
        password: server.credential ?? '',
        relayType: secure ? 'TurnTls' : transport?.toLowerCase() === 'tcp' ? 'TurnTcp' : 'TurnUdp',
      });
    }
  }
  return native;
}

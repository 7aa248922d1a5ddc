import type { IceServer } from './types.js';

/** A TURN server as libdatachannel (node-datachannel's `IceServer`) takes it. */
export interface NativeIceServer {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  relayType?: 'TurnUdp' | 'TurnTcp' | 'TurnTls';
}

/** An RFC 7064/7065 URL: `scheme:host[:port][?transport=udp|tcp]`, no user info. */
const ICE_SERVER_URL =
  /^(stuns?|turns?):(\[[0-9a-f:.]+\]|[^:?@/\s[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i;

/** True for a STUN or TURN URL that toNativeIceServers() can convert (port 1 to 65535). */
export function isIceServerUrl(url: string): boolean {
  const match = ICE_SERVER_URL.exec(url);
  const port = match?.[3];
  return match !== null && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
}

/** RTCIceServer URLs as libdatachannel takes them: STUN as a URL string, TURN as an object. */
export function toNativeIceServers(servers: readonly IceServer[]): (string | NativeIceServer)[] {
  const native: (string | NativeIceServer)[] = [];
  for (const server of servers) {
    for (const url of typeof server.urls === 'string' ? [server.urls] : server.urls) {
      const match = isIceServerUrl(url) ? ICE_SERVER_URL.exec(url) : null;
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

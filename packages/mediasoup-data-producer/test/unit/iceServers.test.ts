import { toNativeIceServers } from '../../src/iceServers.js';

describe('toNativeIceServers()', () => {
  test('toNativeIceServers() with STUN URLs gives libdatachannel URL strings with a port', () => {
    expect(
      toNativeIceServers([
        { urls: 'stun:stun.example.com' },
        { urls: ['stun:10.0.0.1:19302', 'STUN:[::1]:3479'] },
      ]),
    ).toEqual(['stun:stun.example.com:3478', 'stun:10.0.0.1:19302', 'stun:[::1]:3479']);
  });

  test('toNativeIceServers() with TURN URLs gives objects with relay type, port and credentials', () => {
    expect(
      toNativeIceServers([
        {
          urls: [
            'turn:127.0.0.1:3479?transport=udp',
            'turn:turn.example.com?transport=TCP',
            'turn:turn.example.com',
            'turns:[2001:db8::1]',
          ],
          username: 'user',
          credential: 'secret',
        },
      ]),
    ).toEqual([
      {
        hostname: '127.0.0.1',
        port: 3479,
        username: 'user',
        password: 'secret',
        relayType: 'TurnUdp',
      },
      {
        hostname: 'turn.example.com',
        port: 3478,
        username: 'user',
        password: 'secret',
        relayType: 'TurnTcp',
      },
      {
        hostname: 'turn.example.com',
        port: 3478,
        username: 'user',
        password: 'secret',
        relayType: 'TurnUdp',
      },
      {
        hostname: '2001:db8::1',
        port: 5349,
        username: 'user',
        password: 'secret',
        relayType: 'TurnTls',
      },
    ]);
  });

  test('toNativeIceServers() with no servers gives []', () => {
    expect(toNativeIceServers([])).toEqual([]);
  });

  test.each([
    'stun:',
    'turn:user@host',
    'turn:host:3478?transport=sctp',
    'stun:host:port',
    'stun:host:99999',
    'stun:host:0',
  ])('toNativeIceServers() with %p throws TypeError', (url) => {
    expect(() => toNativeIceServers([{ urls: url, username: 'u', credential: 'c' }])).toThrow(
      TypeError,
    );
  });
});

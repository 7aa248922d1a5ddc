import {
  buildAnswerSdp,
  localFingerprint,
  sdpAttribute,
  type AnswerSdpInput,
} from '../../src/sdp/answerSdp.js';

const FINGERPRINT =
  '54:2B:DA:BF:E8:1C:20:24:88:AF:35:CE:60:7E:31:2B:74:59:48:35:0E:AA:8B:E8:D1:59:EC:A7:8D:DE:45:74';

function input(overrides: Partial<AnswerSdpInput> = {}): AnswerSdpInput {
  return {
    iceParameters: { usernameFragment: 'ufrag', password: 'pwd' },
    iceCandidates: [
      {
        foundation: 'udpcandidate',
        priority: 1076558079,
        ip: '127.0.0.1',
        protocol: 'udp',
        port: 40960,
        type: 'host',
      },
    ],
    fingerprint: { algorithm: 'sha-256', value: FINGERPRINT },
    remoteDtlsRole: 'server',
    sctpPort: 5000,
    maxMessageSize: 262144,
    mid: '0',
    ...overrides,
  };
}

function lines(sdp: string): string[] {
  return sdp.split('\r\n');
}

describe('buildAnswerSdp()', () => {
  test('buildAnswerSdp() writes an ICE-lite data-channel answer with CRLF line ends', () => {
    const sdp = buildAnswerSdp(input());
    expect(sdp.endsWith('\r\n')).toBe(true);
    expect(sdp.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(lines(sdp)).toEqual(
      expect.arrayContaining([
        'v=0',
        'a=ice-lite',
        'a=group:BUNDLE 0',
        `a=fingerprint:sha-256 ${FINGERPRINT}`,
        'm=application 7 UDP/DTLS/SCTP webrtc-datachannel',
        'a=mid:0',
        'a=ice-ufrag:ufrag',
        'a=ice-pwd:pwd',
        'a=candidate:udpcandidate 1 udp 1076558079 127.0.0.1 40960 typ host',
        'a=end-of-candidates',
        'a=setup:passive',
        'a=sctp-port:5000',
        'a=max-message-size:262144',
      ]),
    );
    expect(lines(sdp)[0]).toBe('v=0');
    expect(lines(sdp).findIndex((l) => l.startsWith('m='))).toBeGreaterThan(
      lines(sdp).indexOf('a=ice-lite'),
    );
  });

  test("buildAnswerSdp() with remoteDtlsRole 'client' writes a=setup:active", () => {
    expect(lines(buildAnswerSdp(input({ remoteDtlsRole: 'client' })))).toContain('a=setup:active');
  });

  test('buildAnswerSdp() echoes the offer mid in BUNDLE and a=mid', () => {
    const sdp = lines(buildAnswerSdp(input({ mid: 'data' })));
    expect(sdp).toContain('a=group:BUNDLE data');
    expect(sdp).toContain('a=mid:data');
  });

  test('buildAnswerSdp() with a TCP candidate writes its tcptype (passive by default)', () => {
    const sdp = lines(
      buildAnswerSdp(
        input({
          iceCandidates: [
            {
              foundation: 'a',
              priority: 1,
              ip: '127.0.0.1',
              protocol: 'tcp',
              port: 1,
              type: 'host',
            },
            {
              foundation: 'b',
              priority: 2,
              ip: '127.0.0.1',
              protocol: 'tcp',
              port: 2,
              type: 'host',
              tcpType: 'active',
            },
          ],
        }),
      ),
    );
    expect(sdp).toContain('a=candidate:a 1 tcp 1 127.0.0.1 1 typ host tcptype passive');
    expect(sdp).toContain('a=candidate:b 1 tcp 2 127.0.0.1 2 typ host tcptype active');
  });

  test('buildAnswerSdp() with an IPv6 candidate writes an IP6 origin', () => {
    const sdp = buildAnswerSdp(
      input({
        iceCandidates: [
          { foundation: 'a', priority: 1, ip: '::1', protocol: 'udp', port: 9, type: 'host' },
        ],
      }),
    );
    expect(lines(sdp)[1]).toMatch(/^o=\S+ \d+ \d+ IN IP6 /);
    expect(lines(sdp)).toContain('a=candidate:a 1 udp 1 ::1 9 typ host');
  });
});

describe('sdpAttribute()', () => {
  const sdp = 'v=0\r\na=mid:first\r\na=mid:second\na=setup:actpass \r\n';

  test('sdpAttribute() gives the first value, trimmed, with CRLF or LF line ends', () => {
    expect(sdpAttribute(sdp, 'mid')).toBe('first');
    expect(sdpAttribute(sdp, 'setup')).toBe('actpass');
  });

  test('sdpAttribute() of a missing attribute gives undefined', () => {
    expect(sdpAttribute(sdp, 'fingerprint')).toBeUndefined();
    expect(sdpAttribute(sdp, 'mi')).toBeUndefined();
  });
});

describe('localFingerprint()', () => {
  test('localFingerprint() reads the a=fingerprint line with a lower-case algorithm', () => {
    expect(localFingerprint(`v=0\r\na=fingerprint:SHA-256 ${FINGERPRINT}\r\n`)).toEqual({
      algorithm: 'sha-256',
      value: FINGERPRINT,
    });
  });

  test('localFingerprint() without an a=fingerprint line throws', () => {
    expect(() => localFingerprint('v=0\r\na=mid:0\r\n')).toThrow(/no a=fingerprint line/);
  });
});

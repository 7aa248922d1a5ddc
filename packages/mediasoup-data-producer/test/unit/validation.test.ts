import { runInNewContext } from 'node:vm';

import {
  isPlainObject,
  isUint,
  validateAppData,
  validateDtlsParameters,
  validateIceCandidates,
  validateIceParameters,
  validateIceServers,
  validateIceTransportPolicy,
  validateProduceDataOptions,
  validateSctpParameters,
  validateShortString,
  validateTimeout,
  validateUint16Option,
} from '../../src/validation.js';
import { deepFreeze } from '@test-support/deepFreeze.js';

/** An object that is not a plain one. */
class NotPlain {
  readonly kind = 'not plain';
}

const DEFAULT_MAX_BUFFERED = 1000;

const candidate = {
  foundation: 'udpcandidate',
  priority: 1076558079,
  ip: '127.0.0.1',
  protocol: 'udp',
  port: 40000,
  type: 'host',
} as const;

describe('isPlainObject()', () => {
  test.each([
    ['{}', {}],
    ['Object.create(null)', Object.create(null) as unknown],
    ['an object from another realm', runInNewContext('({ a: 1 })') as unknown],
  ])('isPlainObject() with %s is true', (_name, value) => {
    expect(isPlainObject(value)).toBe(true);
  });

  test.each([
    ['null', null],
    ['an array', []],
    ['a Map', new Map()],
    ['a Date', new Date()],
    ['a class instance', new NotPlain()],
    ['a string', 'x'],
    ['an array from another realm', runInNewContext('[]') as unknown],
    ['a Map from another realm', runInNewContext('new Map()') as unknown],
    ['a class instance from another realm', runInNewContext('new (class A {})()') as unknown],
  ])('isPlainObject() with %s is false', (_name, value) => {
    expect(isPlainObject(value)).toBe(false);
  });
});

describe('isUint() and validateUint16Option()', () => {
  test('isUint() with integers in range is true and with anything else false', () => {
    expect([0, 1, 65535].map((v) => isUint(v, 65535))).toEqual([true, true, true]);
    expect([-1, 65536, 1.5, NaN, Infinity, '1', null].map((v) => isUint(v, 65535))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  test('validateUint16Option() with 0 and 65535 returns them, with undefined returns undefined', () => {
    expect(validateUint16Option(0, 'x')).toBe(0);
    expect(validateUint16Option(65535, 'x')).toBe(65535);
    expect(validateUint16Option(undefined, 'x')).toBeUndefined();
  });

  test.each([-1, 65536, 2.5, '3', NaN, null])(
    'validateUint16Option() with %p throws TypeError naming the option',
    (value) => {
      expect(() => validateUint16Option(value, 'maxRetransmits')).toThrow(
        new TypeError('maxRetransmits must be an integer from 0 to 65535'),
      );
    },
  );
});

describe('validateShortString()', () => {
  test('validateShortString() with undefined returns the empty string', () => {
    expect(validateShortString(undefined, 'label')).toBe('');
  });

  test('validateShortString() with 65535 UTF-8 bytes accepts it and with 65536 throws TypeError', () => {
    expect(validateShortString('a'.repeat(65535), 'label')).toHaveLength(65535);
    expect(() => validateShortString('a'.repeat(65536), 'label')).toThrow(
      /label must be at most 65535 bytes/,
    );
  });

  test('validateShortString() with multi-byte characters counts UTF-8 bytes, not characters', () => {
    // 'é' is 2 bytes, '€' 3 and '😀' 4 (2 UTF-16 code units).
    expect(() => validateShortString('é'.repeat(32768), 'protocol')).toThrow(TypeError);
    expect(validateShortString('é'.repeat(32767) + 'a', 'protocol')).toHaveLength(32768);
    expect(() => validateShortString('€'.repeat(21846), 'protocol')).toThrow(TypeError);
    expect(() => validateShortString('😀'.repeat(16384), 'protocol')).toThrow(TypeError);
    expect(validateShortString('😀'.repeat(16383) + 'abc', 'protocol')).toHaveLength(32769);
  });

  test('validateShortString() with a non-string throws TypeError naming it', () => {
    expect(() => validateShortString(5, 'label')).toThrow(new TypeError('label must be a string'));
  });
});

describe('validateAppData()', () => {
  test('validateAppData() with undefined returns {} and with a plain object returns it', () => {
    const appData = { a: 1 };
    expect(validateAppData(undefined)).toEqual({});
    expect(validateAppData(appData)).toBe(appData);
  });

  test.each([[[]], ['x'], [new Map()], [null], [new NotPlain()]])(
    'validateAppData() with %p throws TypeError',
    (value) => {
      expect(() => validateAppData(value)).toThrow(new TypeError('appData must be a plain object'));
    },
  );
});

describe('validateIceParameters()', () => {
  test('validateIceParameters() returns a copy with iceLite', () => {
    const input = { usernameFragment: 'u', password: 'p', iceLite: true, extra: 1 };
    const result = validateIceParameters(input);
    expect(result).toEqual({ usernameFragment: 'u', password: 'p', iceLite: true });
    expect(result).not.toBe(input);
  });

  test.each([
    [undefined, /^iceParameters must be an object/],
    [{ password: 'p' }, /iceParameters\.usernameFragment/],
    [{ usernameFragment: 'u', password: '' }, /iceParameters\.password/],
    [{ usernameFragment: 'u', password: 'p', iceLite: 'yes' }, /iceParameters\.iceLite/],
  ])('validateIceParameters(%p) throws TypeError naming the field', (value, message) => {
    expect(() => validateIceParameters(value)).toThrow(TypeError);
    expect(() => validateIceParameters(value)).toThrow(message);
  });
});

describe('validateIceCandidates()', () => {
  test('validateIceCandidates() with `ip` (mediasoup < 3.13) or `address` gives both', () => {
    const fromIp = validateIceCandidates([candidate]);
    const fromAddress = validateIceCandidates([
      { ...candidate, ip: undefined, address: '10.0.0.1', protocol: 'tcp', tcpType: 'passive' },
    ]);
    expect(fromIp[0]).toMatchObject({ ip: '127.0.0.1', address: '127.0.0.1' });
    expect(fromAddress[0]).toMatchObject({
      ip: '10.0.0.1',
      address: '10.0.0.1',
      tcpType: 'passive',
    });
  });

  test('validateIceCandidates() with a mediasoup 3.27.1 candidate (address and its deprecated alias ip) uses address, as mediasoup-client does', () => {
    // As mediasoup 3.27.1 gives it.
    const current = { ...candidate, address: '127.0.0.1', port: 18373, priority: 1076302079 };
    expect(validateIceCandidates([current])[0]).toMatchObject({
      ip: '127.0.0.1',
      address: '127.0.0.1',
      port: 18373,
    });
    // Only address is read when both are there.
    expect(validateIceCandidates([{ ...current, ip: 'not an ip' }])[0]).toMatchObject({
      ip: '127.0.0.1',
      address: '127.0.0.1',
    });
  });

  test.each([
    [[], /^iceCandidates must be a non-empty array/],
    ['x', /^iceCandidates must be a non-empty array/],
    [[{ ...candidate, ip: undefined }], /iceCandidates\[0\]\.address/],
    [[{ ...candidate, protocol: 'sctp' }], /iceCandidates\[0\]\.protocol/],
    [[candidate, { ...candidate, port: 0 }], /iceCandidates\[1\]\.port/],
    [[{ ...candidate, port: 65536 }], /iceCandidates\[0\]\.port/],
    [[{ ...candidate, priority: -1 }], /iceCandidates\[0\]\.priority/],
    [[{ ...candidate, type: 'local' }], /iceCandidates\[0\]\.type/],
    [[{ ...candidate, tcpType: 'x' }], /iceCandidates\[0\]\.tcpType/],
    [[{ ...candidate, foundation: '' }], /iceCandidates\[0\]\.foundation/],
  ])('validateIceCandidates(%p) throws TypeError naming the field', (value, message) => {
    expect(() => validateIceCandidates(value)).toThrow(TypeError);
    expect(() => validateIceCandidates(value)).toThrow(message);
  });
});

describe('validateDtlsParameters()', () => {
  const sha256 = { algorithm: 'sha-256', value: 'AB:CD' };

  test('validateDtlsParameters() keeps role and fingerprints and accepts an upper-case algorithm', () => {
    expect(
      validateDtlsParameters({ role: 'auto', fingerprints: [{ ...sha256, algorithm: 'SHA-256' }] }),
    ).toEqual({ role: 'auto', fingerprints: [{ algorithm: 'SHA-256', value: 'AB:CD' }] });
    expect(validateDtlsParameters({ fingerprints: [sha256] })).toEqual({ fingerprints: [sha256] });
  });

  test.each([
    ['x', /^dtlsParameters must be an object/],
    [{ role: 'peer', fingerprints: [sha256] }, /dtlsParameters\.role/],
    [{ fingerprints: [] }, /dtlsParameters\.fingerprints must be a non-empty array/],
    [{ fingerprints: ['x'] }, /dtlsParameters\.fingerprints\[0\] must be an object/],
    [{ fingerprints: [{ algorithm: 'sha-1', value: 'AB' }] }, /must include a sha-256/],
    [{ fingerprints: [{ algorithm: 'sha-256' }] }, /dtlsParameters\.fingerprints\[0\]\.value/],
  ])('validateDtlsParameters(%p) throws TypeError naming the field', (value, message) => {
    expect(() => validateDtlsParameters(value)).toThrow(TypeError);
    expect(() => validateDtlsParameters(value)).toThrow(message);
  });
});

describe('validateSctpParameters()', () => {
  test('validateSctpParameters() with undefined returns undefined (no SCTP)', () => {
    expect(validateSctpParameters(undefined)).toBeUndefined();
  });

  test('validateSctpParameters() with the mediasoup 3.8 shape uses maxMessageSize and MIS', () => {
    const sctp = validateSctpParameters({
      port: 5000,
      OS: 1024,
      MIS: 512,
      maxMessageSize: 262144,
      isDataChannel: true,
      sctpBufferedAmount: 0,
      sendBufferSize: 262144,
    });
    expect(sctp).toMatchObject({ port: 5000, maxMessageSize: 262144, maxStreams: 512 });
  });

  test('validateSctpParameters() limits the stream ids by the smaller of OS and MIS', () => {
    expect(validateSctpParameters({ port: 1, OS: 8, MIS: 1024, maxMessageSize: 1 })).toMatchObject({
      maxStreams: 8,
    });
    expect(validateSctpParameters({ port: 1, OS: 1024, MIS: 8, maxMessageSize: 1 })).toMatchObject({
      maxStreams: 8,
    });
    expect(validateSctpParameters({ port: 1, OS: 16, maxMessageSize: 1 })).toMatchObject({
      maxStreams: 16,
    });
  });

  test('validateSctpParameters() with the mediasoup 3.20 shape sends up to maxReceiveMessageSize, not maxSendMessageSize', () => {
    const sctp = validateSctpParameters({
      port: 5000,
      maxSendMessageSize: 1000,
      maxReceiveMessageSize: 2000,
    });
    expect(sctp).toMatchObject({ port: 5000, maxMessageSize: 2000, maxStreams: undefined });
  });

  test('validateSctpParameters() with what mediasoup 3.27.1 gives (the 3.20 shape plus OS, MIS and maxMessageSize kept for compatibility) sends up to maxReceiveMessageSize', () => {
    const sctp = validateSctpParameters({
      port: 5000,
      maxSendMessageSize: 262144,
      maxReceiveMessageSize: 65536,
      sendBufferSize: 2000000,
      perStreamSendQueueLimit: 2000000,
      maxReceiverWindowBufferSize: 5242880,
      isDataChannel: true,
      OS: 65535,
      MIS: 65535,
      maxMessageSize: 65536,
    });
    expect(sctp).toEqual({ port: 5000, maxMessageSize: 65536, maxStreams: 65535 });
  });

  test('validateSctpParameters() with deep-frozen input reads it without throwing', () => {
    const input = deepFreeze({ port: 5000, OS: 1024, MIS: 1024, maxMessageSize: 100 });
    expect(validateSctpParameters(input)).toEqual({
      port: 5000,
      maxMessageSize: 100,
      maxStreams: 1024,
    });
  });

  test('validateSctpParameters() ignores fields it does not read, whatever they hold', () => {
    const sctp = validateSctpParameters({ port: 5000, maxMessageSize: 100, extra: () => 1 });
    expect(sctp).toEqual({ port: 5000, maxMessageSize: 100, maxStreams: undefined });
  });

  test('validateSctpParameters() with a malformed maxMessageSize next to maxReceiveMessageSize throws TypeError', () => {
    expect(() =>
      validateSctpParameters({ port: 5000, maxReceiveMessageSize: 100, maxMessageSize: 'big' }),
    ).toThrow(/sctpParameters\.maxMessageSize must be a positive integer/);
  });

  test.each([
    ['a ufrag with CRLF', { usernameFragment: 'ab\r\na=x', password: 'pppppppppppppppppppppp' }],
    ['a password with NUL', { usernameFragment: 'abcd', password: 'a\u0000b' }],
  ])('validateIceParameters() with %s throws TypeError naming ice-char', (_label, input) => {
    expect(() => validateIceParameters(input)).toThrow(/RFC 8839 ice-char/);
  });

  test('validateShortString() with a lone surrogate throws TypeError', () => {
    expect(() => validateShortString('\uD800', 'label')).toThrow(
      /label must be well-formed UTF-16/,
    );
    expect(validateShortString('\uD83D\uDE00', 'label')).toBe('\uD83D\uDE00');
  });

  test.each([
    ['x', /^sctpParameters must be an object/],
    [{ maxMessageSize: 1 }, /sctpParameters\.port/],
    [{ port: 70000, maxMessageSize: 1 }, /sctpParameters\.port/],
    [{ port: 5000 }, /maxMessageSize .*maxReceiveMessageSize/],
    [{ port: 5000, maxMessageSize: 0 }, /maxMessageSize .*maxReceiveMessageSize/],
    [{ port: 5000, maxReceiveMessageSize: 1.5 }, /maxMessageSize .*maxReceiveMessageSize/],
    [{ port: 5000, maxMessageSize: 1, MIS: 0 }, /sctpParameters\.MIS/],
    [{ port: 5000, maxMessageSize: 1, OS: -1 }, /sctpParameters\.OS/],
    [
      { port: 5000, maxReceiveMessageSize: 1, maxSendMessageSize: 'big' },
      /sctpParameters\.maxSendMessageSize/,
    ],
  ])('validateSctpParameters(%p) throws TypeError naming the field', (value, message) => {
    expect(() => validateSctpParameters(value)).toThrow(TypeError);
    expect(() => validateSctpParameters(value)).toThrow(message);
  });
});

describe('validateIceServers()', () => {
  test('validateIceServers() with undefined returns []', () => {
    expect(validateIceServers(undefined)).toEqual([]);
  });

  test('validateIceServers() normalizes urls to a fresh array and keeps credentials', () => {
    const urls = ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example.com'];
    const result = validateIceServers([
      { urls: 'stun:stun.example.com:19302' },
      { urls, username: 'u', credential: 'c' },
    ]);
    expect(result).toEqual([
      { urls: ['stun:stun.example.com:19302'] },
      { urls, username: 'u', credential: 'c' },
    ]);
    expect(result[1]?.urls).not.toBe(urls);
  });

  test.each([
    ['a string', 'stun:x', /^iceServers must be an array/],
    ['a URL string in the array', ['stun:x'], /iceServers\[0\] must be an object/],
    ['urls: []', [{ urls: [] }], /iceServers\[0\]\.urls/],
    ['urls: 5', [{ urls: 5 }], /iceServers\[0\]\.urls/],
    [
      'an http: URL',
      [{ urls: 'http://example.com' }],
      /iceServers\[0\]\.urls .*'http:\/\/example\.com'/,
    ],
    [
      'TURN without credentials',
      [{ urls: 'turn:example.com' }],
      /iceServers\[0\] is a TURN server and needs username/,
    ],
    [
      'a number credential',
      [{ urls: 'turn:example.com', username: 'u', credential: 5 }],
      /iceServers\[0\]\.credential/,
    ],
    ["'stun:' without a host", [{ urls: 'stun:' }], /iceServers\[0\]\.urls/],
    [
      'port 99999',
      [{ urls: ['stun:a.example', 'stun:example.com:99999'] }],
      /iceServers\[0\]\.urls .*99999/,
    ],
    [
      'user info in the URL',
      [{ urls: 'turn:u:p@example.com', username: 'u', credential: 'c' }],
      /urls/,
    ],
    [
      'transport=sctp',
      [{ urls: 'turn:example.com?transport=sctp', username: 'u', credential: 'c' }],
      /urls/,
    ],
  ])('validateIceServers() with %s throws TypeError naming the field', (_name, value, message) => {
    expect(() => validateIceServers(value)).toThrow(TypeError);
    expect(() => validateIceServers(value)).toThrow(message);
  });
});

describe('validateIceTransportPolicy()', () => {
  test("validateIceTransportPolicy() defaults to 'all' and accepts 'relay'", () => {
    expect(validateIceTransportPolicy(undefined)).toBe('all');
    expect(validateIceTransportPolicy('relay')).toBe('relay');
  });

  test("validateIceTransportPolicy('none') throws TypeError naming it", () => {
    expect(() => validateIceTransportPolicy('none')).toThrow(/^iceTransportPolicy/);
  });
});

describe('validateProduceDataOptions()', () => {
  test('validateProduceDataOptions() without options gives a reliable ordered channel', () => {
    expect(validateProduceDataOptions(undefined, DEFAULT_MAX_BUFFERED)).toEqual({
      ordered: true,
      maxPacketLifeTime: undefined,
      maxRetransmits: undefined,
      label: '',
      protocol: '',
      appData: {},
      maxBufferedAmount: DEFAULT_MAX_BUFFERED,
    });
  });

  test('validateProduceDataOptions() with maxRetransmits or maxPacketLifeTime defaults to unordered', () => {
    expect(validateProduceDataOptions({ maxRetransmits: 0 }, 1).ordered).toBe(false);
    expect(validateProduceDataOptions({ maxPacketLifeTime: 65535 }, 1).ordered).toBe(false);
    expect(validateProduceDataOptions({ maxRetransmits: 1, ordered: false }, 1).ordered).toBe(
      false,
    );
  });

  test('validateProduceDataOptions() with ordered: false alone stays unordered and reliable', () => {
    expect(validateProduceDataOptions({ ordered: false }, 1)).toMatchObject({
      ordered: false,
      maxRetransmits: undefined,
      maxPacketLifeTime: undefined,
    });
  });

  test.each([
    ['a string', 'x', /options must be a plain object/],
    ['both partial-reliability options', { maxRetransmits: 1, maxPacketLifeTime: 1 }, /both/],
    ['ordered: true with maxRetransmits', { ordered: true, maxRetransmits: 1 }, /ordered: true/],
    ['ordered: true with maxPacketLifeTime', { ordered: true, maxPacketLifeTime: 1 }, /ordered/],
    ['ordered: 1', { ordered: 1 }, /ordered must be a boolean/],
    ['maxBufferedAmount: 0', { maxBufferedAmount: 0 }, /maxBufferedAmount/],
    ['maxBufferedAmount: null', { maxBufferedAmount: null }, /maxBufferedAmount/],
    ['label: 1', { label: 1 }, /label/],
    ['protocol: {}', { protocol: {} }, /protocol/],
    ['appData: []', { appData: [] }, /appData/],
  ])('validateProduceDataOptions() with %s throws TypeError', (_name, options, message) => {
    expect(() => validateProduceDataOptions(options, 1)).toThrow(TypeError);
    expect(() => validateProduceDataOptions(options, 1)).toThrow(message);
  });
});

describe('validateTimeout()', () => {
  test('validateTimeout() with undefined gives the fallback and with 300 gives 300', () => {
    expect(validateTimeout(undefined, 't', 30000)).toBe(30000);
    expect(validateTimeout(300, 't', 30000)).toBe(300);
  });

  test.each([0, -1, 1.5, '300'])('validateTimeout(%p) throws TypeError naming it', (value) => {
    expect(() => validateTimeout(value, 'signalingTimeout', 1)).toThrow(/^signalingTimeout/);
  });
});

// Argument checks for the public methods. Each returns a fresh, validated copy so that
// the library never keeps or mutates the caller's objects; appData alone is kept by
// reference, as mediasoup-client does, since it is the caller's to change.
import { isIceServerUrl } from './iceServers.js';
import type { DataConsumerBinaryType } from './DataConsumer.js';
import type { HandlerSctpStreamParameters } from './handlers/HandlerInterface.js';
import type {
  AppData,
  RemoteDtlsParameters,
  IceCandidate,
  IceParameters,
  IceServer,
  IceTransportPolicy,
} from './types.js';

const MAX_UINT16 = 65535;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null || proto === Object.prototype) return true;
  // Object.prototype of another realm: objects from a vm context, or from structuredClone()
  // under Jest, whose globals come from outside the test's context.
  return (
    Object.getPrototypeOf(proto) === null &&
    Object.prototype.toString.call(value) === '[object Object]'
  );
}

export function isUint(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return value;
}

/** A string that goes into the SDP answer: only the characters its grammar allows there. */
function requireSdpToken(value: unknown, name: string, pattern: RegExp, expected: string): string {
  const text = requireString(value, name);
  if (!pattern.test(text))
    throw new TypeError(`${name} must be ${expected}, got ${JSON.stringify(text)}`);
  return text;
}

// RFC 8839 ice-char, and what an address or a fingerprint may look like.
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const ICE_CHARS_DESCRIPTION = "letters, digits, '+' and '/' (RFC 8839 ice-char)";
const ADDRESS = /^[A-Za-z0-9.:-]+$/;
const FINGERPRINT = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validateAppData(value: unknown, name = 'appData'): AppData {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new TypeError(`${name} must be a plain object`);
  return value;
}

export function validateUint16Option(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isUint(value, MAX_UINT16)) throw new TypeError(`${name} must be an integer from 0 to 65535`);
  return value;
}

export function validateShortString(value: unknown, name: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (LONE_SURROGATE.test(value)) {
    throw new TypeError(
      `${name} must be well-formed UTF-16 (it has a lone surrogate, which UTF-8 cannot carry)`,
    );
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_UINT16) {
    throw new TypeError(`${name} must be at most 65535 bytes in UTF-8`);
  }
  return value;
}

export function validateIceParameters(value: unknown): IceParameters {
  if (!isPlainObject(value)) throw new TypeError('iceParameters must be an object');
  const iceParameters: IceParameters = {
    usernameFragment: requireSdpToken(
      value.usernameFragment,
      'iceParameters.usernameFragment',
      ICE_CHARS,
      ICE_CHARS_DESCRIPTION,
    ),
    password: requireSdpToken(
      value.password,
      'iceParameters.password',
      ICE_CHARS,
      ICE_CHARS_DESCRIPTION,
    ),
  };
  if (value.iceLite !== undefined) {
    if (typeof value.iceLite !== 'boolean')
      throw new TypeError('iceParameters.iceLite must be a boolean');
    iceParameters.iceLite = value.iceLite;
  }
  return iceParameters;
}

export function validateIceCandidates(value: unknown): IceCandidate[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('iceCandidates must be a non-empty array');
  }
  return value.map((candidate: unknown, i) => {
    const name = `iceCandidates[${i}]`;
    if (!isPlainObject(candidate)) throw new TypeError(`${name} must be an object`);
    const address = candidate.address ?? candidate.ip;
    if (typeof address !== 'string' || address.length === 0) {
      throw new TypeError(`${name}.address (or .ip) must be a non-empty string`);
    }
    if (!ADDRESS.test(address)) {
      throw new TypeError(
        `${name}.address (or .ip) must be an IP address or host name, got ${JSON.stringify(address)}`,
      );
    }
    if (candidate.protocol !== 'udp' && candidate.protocol !== 'tcp') {
      throw new TypeError(`${name}.protocol must be 'udp' or 'tcp'`);
    }
    if (!isUint(candidate.port, MAX_UINT16) || candidate.port === 0) {
      throw new TypeError(`${name}.port must be an integer from 1 to 65535`);
    }
    if (!isUint(candidate.priority, 0xffffffff)) {
      throw new TypeError(`${name}.priority must be an integer from 0 to 4294967295`);
    }
    const type = candidate.type;
    if (type !== 'host' && type !== 'srflx' && type !== 'prflx' && type !== 'relay') {
      throw new TypeError(`${name}.type must be 'host', 'srflx', 'prflx' or 'relay'`);
    }
    const tcpType = candidate.tcpType;
    if (
      tcpType !== undefined &&
      tcpType !== 'active' &&
      tcpType !== 'passive' &&
      tcpType !== 'so'
    ) {
      throw new TypeError(`${name}.tcpType must be 'active', 'passive' or 'so'`);
    }
    return {
      foundation: requireSdpToken(
        candidate.foundation,
        `${name}.foundation`,
        ICE_CHARS,
        ICE_CHARS_DESCRIPTION,
      ),
      priority: candidate.priority,
      address,
      ip: address,
      protocol: candidate.protocol,
      port: candidate.port,
      type,
      ...(tcpType !== undefined && { tcpType }),
    };
  });
}

export function validateDtlsParameters(value: unknown): RemoteDtlsParameters {
  if (!isPlainObject(value)) throw new TypeError('dtlsParameters must be an object');
  const role = value.role;
  if (role !== undefined && role !== 'auto' && role !== 'client' && role !== 'server') {
    throw new TypeError("dtlsParameters.role must be 'auto', 'client' or 'server'");
  }
  if (!Array.isArray(value.fingerprints) || value.fingerprints.length === 0) {
    throw new TypeError('dtlsParameters.fingerprints must be a non-empty array');
  }
  const fingerprints = value.fingerprints.map((fingerprint: unknown, i) => {
    if (!isPlainObject(fingerprint)) {
      throw new TypeError(`dtlsParameters.fingerprints[${i}] must be an object`);
    }
    return {
      algorithm: requireString(
        fingerprint.algorithm,
        `dtlsParameters.fingerprints[${i}].algorithm`,
      ),
      value: requireSdpToken(
        fingerprint.value,
        `dtlsParameters.fingerprints[${i}].value`,
        FINGERPRINT,
        "hex byte pairs separated by ':'",
      ),
    };
  });
  if (!fingerprints.some((f) => f.algorithm.toLowerCase() === 'sha-256')) {
    throw new TypeError('dtlsParameters.fingerprints must include a sha-256 fingerprint');
  }
  return { ...(role !== undefined && { role }), fingerprints };
}

export interface NormalizedSctp {
  port: number;
  /** The router's receive limit: the largest message we may send. */
  maxMessageSize: number;
  /**
   * How many stream ids we may use, when the router says: a data channel uses its id in both
   * directions, so the router's outgoing streams (OS) limit it as much as its incoming (MIS).
   */
  maxStreams: number | undefined;
}

export function validateSctpParameters(value: unknown): NormalizedSctp | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new TypeError('sctpParameters must be an object');
  if (!isUint(value.port, MAX_UINT16) || value.port === 0) {
    throw new TypeError('sctpParameters.port must be an integer from 1 to 65535');
  }
  const receiveLimit = value.maxReceiveMessageSize ?? value.maxMessageSize;
  if (!isUint(receiveLimit) || receiveLimit === 0) {
    throw new TypeError(
      'sctpParameters must have a positive integer maxMessageSize (mediasoup <= 3.19) ' +
        'or maxReceiveMessageSize (mediasoup >= 3.20)',
    );
  }
  for (const key of [
    'OS',
    'MIS',
    'maxMessageSize',
    'maxSendMessageSize',
    'maxReceiveMessageSize',
  ] as const) {
    if (value[key] !== undefined && (!isUint(value[key]) || value[key] === 0)) {
      throw new TypeError(`sctpParameters.${key} must be a positive integer`);
    }
  }
  // Only the fields above are read; anything else the router adds is ignored, not copied.
  return {
    port: value.port,
    maxMessageSize: receiveLimit,
    maxStreams: minOf(value.OS, value.MIS),
  };
}

function minOf(...values: unknown[]): number | undefined {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  return numbers.length > 0 ? Math.min(...numbers) : undefined;
}

export function validateIceServers(value: unknown, what = 'iceServers'): IceServer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of RTCIceServer`);
  return value.map((server: unknown, i) => {
    const name = `${what}[${i}]`;
    if (!isPlainObject(server)) throw new TypeError(`${name} must be an object`);
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
      throw new TypeError(`${name}.urls must be a string or a non-empty array of strings`);
    }
    for (const url of urls) {
      if (!isIceServerUrl(url)) {
        throw new TypeError(
          `${name}.urls must be stun:, stuns:, turn: or turns: URLs ` +
            `(scheme:host[:port][?transport=udp|tcp]), got '${url}'`,
        );
      }
    }
    for (const key of ['username', 'credential'] as const) {
      if (server[key] !== undefined && typeof server[key] !== 'string') {
        throw new TypeError(`${name}.${key} must be a string`);
      }
    }
    const isTurn = urls.some((u) => /^turns?:/i.test(u));
    if (isTurn && (server.username === undefined || server.credential === undefined)) {
      throw new TypeError(`${name} is a TURN server and needs username and credential`);
    }
    return {
      urls: [...urls],
      ...(typeof server.username === 'string' && { username: server.username }),
      ...(typeof server.credential === 'string' && { credential: server.credential }),
    };
  });
}

export function validateIceTransportPolicy(
  value: unknown,
  what = 'iceTransportPolicy',
): IceTransportPolicy {
  if (value === undefined) return 'all';
  if (value !== 'all' && value !== 'relay') {
    throw new TypeError(`${what} must be 'all' or 'relay'`);
  }
  return value;
}

export interface ProduceDataSettings {
  ordered: boolean;
  maxPacketLifeTime: number | undefined;
  maxRetransmits: number | undefined;
  label: string;
  protocol: string;
  appData: AppData;
  maxBufferedAmount: number;
}

export function validateProduceDataOptions(
  options: unknown,
  defaultMaxBufferedAmount: number,
): ProduceDataSettings {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw new TypeError('produceData() options must be a plain object');
  const maxPacketLifeTime = validateUint16Option(options.maxPacketLifeTime, 'maxPacketLifeTime');
  const maxRetransmits = validateUint16Option(options.maxRetransmits, 'maxRetransmits');
  if (maxPacketLifeTime !== undefined && maxRetransmits !== undefined) {
    throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be given');
  }
  const partial = maxPacketLifeTime !== undefined || maxRetransmits !== undefined;
  if (options.ordered !== undefined && typeof options.ordered !== 'boolean') {
    throw new TypeError('ordered must be a boolean');
  }
  if (options.ordered === true && partial) {
    throw new TypeError(
      'ordered: true cannot be given with maxPacketLifeTime or maxRetransmits (partial reliability is unordered)',
    );
  }
  validatePriority(options.priority);
  // Only undefined means the default: null is refused, as for every other option.
  const maxBufferedAmount =
    options.maxBufferedAmount === undefined ? defaultMaxBufferedAmount : options.maxBufferedAmount;
  if (!isUint(maxBufferedAmount) || maxBufferedAmount === 0) {
    throw new TypeError('maxBufferedAmount must be a positive integer (bytes)');
  }
  return {
    ordered: options.ordered ?? !partial,
    maxPacketLifeTime,
    maxRetransmits,
    label: validateShortString(options.label, 'label'),
    protocol: validateShortString(options.protocol, 'protocol'),
    appData: validateAppData(options.appData),
    maxBufferedAmount,
  };
}

const BINARY_TYPES: readonly unknown[] = ['arraybuffer', 'blob', 'nodebuffer'];

export function isBinaryType(value: unknown): value is DataConsumerBinaryType {
  return BINARY_TYPES.includes(value);
}

export interface ConsumeDataSettings {
  id: string;
  dataProducerId: string;
  sctpStreamParameters: HandlerSctpStreamParameters;
  label: string;
  protocol: string;
  appData: AppData;
  binaryType: DataConsumerBinaryType;
}

/** The largest SCTP stream id: 65535 is reserved (RFC 8831). */
const MAX_STREAM_ID = 65534;

/**
 * What `consumeData()` takes: the router DataConsumer's id, dataProducerId,
 * sctpStreamParameters, label and protocol, as mediasoup 3.8 to 3.27 give them (3.27 has
 * `maxPacketLifeTime: undefined` keys, 3.8 leaves them out), copied.
 */
export function validateConsumeDataOptions(
  options: unknown,
  streamCount: number,
): ConsumeDataSettings {
  if (!isPlainObject(options)) throw new TypeError('consumeData() options must be a plain object');
  const id = requireString(options.id, 'id');
  const dataProducerId = requireString(options.dataProducerId, 'dataProducerId');
  const parameters = options.sctpStreamParameters;
  if (!isPlainObject(parameters)) {
    throw new TypeError(
      "sctpStreamParameters must be an object: the router's dataConsumer.sctpStreamParameters " +
        "(a DataConsumer of type 'direct' has none and cannot be consumed here)",
    );
  }
  const streamId = parameters.streamId;
  if (!isUint(streamId, MAX_STREAM_ID)) {
    throw new TypeError(
      `sctpStreamParameters.streamId must be an integer from 0 to ${MAX_STREAM_ID}`,
    );
  }
  if (streamId >= streamCount) {
    throw new TypeError(
      `sctpStreamParameters.streamId must be below ${streamCount}, the SCTP streams of this transport`,
    );
  }
  const maxPacketLifeTime = validateUint16Option(
    parameters.maxPacketLifeTime,
    'sctpStreamParameters.maxPacketLifeTime',
  );
  const maxRetransmits = validateUint16Option(
    parameters.maxRetransmits,
    'sctpStreamParameters.maxRetransmits',
  );
  if (maxPacketLifeTime !== undefined && maxRetransmits !== undefined) {
    throw new TypeError(
      'sctpStreamParameters.maxPacketLifeTime and sctpStreamParameters.maxRetransmits cannot both be given',
    );
  }
  if (parameters.ordered !== undefined && typeof parameters.ordered !== 'boolean') {
    throw new TypeError('sctpStreamParameters.ordered must be a boolean');
  }
  const partial = maxPacketLifeTime !== undefined || maxRetransmits !== undefined;
  return {
    id,
    dataProducerId,
    sctpStreamParameters: {
      streamId,
      // As mediasoup-client: unordered by default only with partial reliability.
      ordered: parameters.ordered ?? !partial,
      ...(maxPacketLifeTime !== undefined && { maxPacketLifeTime }),
      ...(maxRetransmits !== undefined && { maxRetransmits }),
    },
    label: validateShortString(options.label, 'label'),
    protocol: validateShortString(options.protocol, 'protocol'),
    appData: validateAppData(options.appData),
    binaryType: validateBinaryType(options.binaryType),
  };
}

/** A value in an error message: a string quoted. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function validateBinaryType(value: unknown): DataConsumerBinaryType {
  if (value === undefined) return 'arraybuffer';
  if (!isBinaryType(value)) {
    throw new TypeError(
      `binaryType must be 'arraybuffer', 'blob' or 'nodebuffer', got ${describeValue(value)}`,
    );
  }
  return value;
}

export function validateTimeout(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isUint(value) || value === 0)
    throw new TypeError(`${name} must be a positive integer (milliseconds)`);
  return value;
}

/** What of a transport's `additionalSettings` (an RTCConfiguration) the library uses. */
export interface AdditionalSettings {
  iceServers: IceServer[] | undefined;
  iceTransportPolicy: IceTransportPolicy | undefined;
}

const BUNDLE_POLICIES: readonly unknown[] = ['balanced', 'max-bundle', 'max-compat'];
const RTCP_MUX_POLICIES: readonly unknown[] = ['negotiate', 'require'];

/**
 * `additionalSettings`, as mediasoup-client takes it: a partial RTCConfiguration. Its
 * `iceServers` and `iceTransportPolicy` are used; the other members a browser knows are
 * checked and ignored (docs/api.md says why), and members no browser knows are ignored.
 */
export function validateAdditionalSettings(value: unknown): AdditionalSettings {
  if (value === undefined) return { iceServers: undefined, iceTransportPolicy: undefined };
  if (!isPlainObject(value)) {
    throw new TypeError('additionalSettings must be a plain object (a partial RTCConfiguration)');
  }
  if (value.bundlePolicy !== undefined && !BUNDLE_POLICIES.includes(value.bundlePolicy)) {
    throw new TypeError(
      "additionalSettings.bundlePolicy must be 'balanced', 'max-bundle' or 'max-compat'",
    );
  }
  if (value.rtcpMuxPolicy !== undefined && !RTCP_MUX_POLICIES.includes(value.rtcpMuxPolicy)) {
    throw new TypeError("additionalSettings.rtcpMuxPolicy must be 'negotiate' or 'require'");
  }
  if (value.iceCandidatePoolSize !== undefined && !isUint(value.iceCandidatePoolSize, 255)) {
    throw new TypeError('additionalSettings.iceCandidatePoolSize must be an integer from 0 to 255');
  }
  if (value.certificates !== undefined && !Array.isArray(value.certificates)) {
    throw new TypeError('additionalSettings.certificates must be an array');
  }
  return {
    iceServers:
      value.iceServers === undefined
        ? undefined
        : validateIceServers(value.iceServers, 'additionalSettings.iceServers'),
    iceTransportPolicy:
      value.iceTransportPolicy === undefined
        ? undefined
        : validateIceTransportPolicy(
            value.iceTransportPolicy,
            'additionalSettings.iceTransportPolicy',
          ),
  };
}

/** mediasoup-client's `proprietaryConstraints` (Chrome's legacy constraints): checked, then ignored. */
export function validateProprietaryConstraints(value: unknown): void {
  if (value !== undefined && !isPlainObject(value)) {
    throw new TypeError('proprietaryConstraints must be a plain object');
  }
}

const PRIORITIES: readonly unknown[] = ['very-low', 'low', 'medium', 'high'];

/** An RTCDataChannel's `priority`, as older mediasoup-client takes it: checked, then ignored. */
export function validatePriority(value: unknown): void {
  if (value !== undefined && !PRIORITIES.includes(value)) {
    throw new TypeError("priority must be 'very-low', 'low', 'medium' or 'high'");
  }
}

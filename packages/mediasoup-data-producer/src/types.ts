// Parameter types shared by the public classes; the names and shapes are mediasoup-client's.

export type AppData = Record<string, unknown>;

export interface IceParameters {
  usernameFragment: string;
  password: string;
  iceLite?: boolean;
}

export interface IceCandidate {
  foundation: string;
  priority: number;
  /** mediasoup >= 3.13 names it `address`; older versions `ip`. One of them is required. */
  address?: string;
  ip?: string;
  protocol: 'udp' | 'tcp';
  port: number;
  type: 'host' | 'srflx' | 'prflx' | 'relay';
  tcpType?: 'active' | 'passive' | 'so';
}

export type DtlsRole = 'auto' | 'client' | 'server';

/** The hash functions of a DTLS fingerprint, as mediasoup (>= 3.13) and mediasoup-client name them. */
export type FingerprintAlgorithm = 'sha-1' | 'sha-224' | 'sha-256' | 'sha-384' | 'sha-512';

export interface DtlsFingerprint {
  algorithm: FingerprintAlgorithm;
  value: string;
}

/** Our DTLS parameters, as the `connect` event gives them: mediasoup's `connect()` takes them as they are. */
export interface DtlsParameters {
  role?: DtlsRole;
  fingerprints: DtlsFingerprint[];
}

/**
 * The router's DTLS parameters, as `createSendTransport()` and `createRecvTransport()` take
 * them: mediasoup before 3.13 types a fingerprint's algorithm as any string. Only the
 * sha-256 fingerprint is used (one is required); the others are ignored.
 */
export interface RemoteDtlsParameters {
  role?: DtlsRole;
  fingerprints: { algorithm: string; value: string }[];
}

/**
 * The router's SCTP parameters, in either shape: up to mediasoup 3.19
 * `{ port, OS, MIS, maxMessageSize }`, from 3.20 `{ port, maxSendMessageSize, maxReceiveMessageSize }`.
 */
export interface SctpParameters {
  port: number;
  OS?: number;
  MIS?: number;
  maxMessageSize?: number;
  maxSendMessageSize?: number;
  maxReceiveMessageSize?: number;
  [key: string]: unknown;
}

export interface SctpCapabilities {
  numStreams: { OS: number; MIS: number };
}

/**
 * An SCTP stream's reliability, as mediasoup and mediasoup-client type it. The library's own
 * objects (a DataProducer's or DataConsumer's, `producedata`'s) always have `ordered` set;
 * `consumeData()` takes it unset as mediasoup does (true unless the stream is partially
 * reliable).
 */
export interface SctpStreamParameters {
  streamId: number;
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
}

/** An RTCIceServer as browsers take it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type IceTransportPolicy = 'all' | 'relay';

/** As RTCIceGatheringState: where the gathering of our local ICE candidates is. */
export type IceGatheringState = 'new' | 'gathering' | 'complete';

/**
 * `device.rtpCapabilities`: a data-only device's, with no codec and no header extension (it
 * consumes no media). mediasoup's `router.canConsume()` takes it and answers false.
 */
export interface RtpCapabilities {
  codecs: [];
  headerExtensions: [];
}

export type ConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

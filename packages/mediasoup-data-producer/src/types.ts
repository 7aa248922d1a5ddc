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

export interface DtlsFingerprint {
  algorithm: string;
  value: string;
}

export interface DtlsParameters {
  role?: DtlsRole;
  fingerprints: DtlsFingerprint[];
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

export interface SctpStreamParameters {
  streamId: number;
  ordered: boolean;
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

export type ConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

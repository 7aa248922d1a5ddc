// The remote (router) side of the one SDP exchange a send transport makes. mediasoup
// has no SDP: like mediasoup-client's RemoteSdp, we write the answer from the router's
// ICE, DTLS and SCTP parameters. The router is ICE-lite, so its candidates are all the
// client ever needs, and the client never sends its own.

import type { DtlsFingerprint, FingerprintAlgorithm } from '../types.js';

export type DtlsRole = 'auto' | 'client' | 'server';

export interface AnswerSdpInput {
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: readonly {
    foundation: string;
    priority: number;
    ip: string;
    protocol: 'udp' | 'tcp';
    port: number;
    type: string;
    tcpType?: string;
  }[];
  /** The router's fingerprints; only sha-256 is written (what libdatachannel verifies). */
  fingerprint: { algorithm: string; value: string };
  /** The router's DTLS role in the answer. */
  remoteDtlsRole: 'client' | 'server';
  sctpPort: number;
  /** What the router accepts: our send limit. */
  maxMessageSize: number;
  /** The offer's media id, echoed back. */
  mid: string;
}

export function buildAnswerSdp(input: AnswerSdpInput): string {
  const ipv6 = input.iceCandidates.some((c) => c.ip.includes(':'));
  const lines = [
    'v=0',
    `o=mediasoup-data-producer 10000 1 IN ${ipv6 ? 'IP6' : 'IP4'} 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${input.mid}`,
    `a=fingerprint:${input.fingerprint.algorithm} ${input.fingerprint.value}`,
    'm=application 7 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 127.0.0.1',
    `a=mid:${input.mid}`,
    'a=sendrecv',
    `a=ice-ufrag:${input.iceParameters.usernameFragment}`,
    `a=ice-pwd:${input.iceParameters.password}`,
    ...input.iceCandidates.map(candidateLine),
    'a=end-of-candidates',
    // The router's role: 'passive' means it waits for our DTLS ClientHello.
    `a=setup:${input.remoteDtlsRole === 'server' ? 'passive' : 'active'}`,
    `a=sctp-port:${input.sctpPort}`,
    `a=max-message-size:${input.maxMessageSize}`,
  ];
  return lines.join('\r\n') + '\r\n';
}

function candidateLine(c: AnswerSdpInput['iceCandidates'][number]): string {
  const tcpType = c.protocol === 'tcp' ? ` tcptype ${c.tcpType ?? 'passive'}` : '';
  return `a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.ip} ${c.port} typ ${c.type}${tcpType}`;
}

/** The value of the first `a=<name>:` line of an SDP, or undefined. */
export function sdpAttribute(sdp: string, name: string): string | undefined {
  const prefix = `a=${name}:`;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith(prefix)) return line.slice(prefix.length).trim();
  }
  return undefined;
}

/** Our own sha-256 certificate fingerprint, as the `connect` event reports it. */
const FINGERPRINT_ALGORITHMS: readonly string[] = [
  'sha-1',
  'sha-224',
  'sha-256',
  'sha-384',
  'sha-512',
] satisfies FingerprintAlgorithm[];

export function localFingerprint(localSdp: string): DtlsFingerprint {
  const attribute = sdpAttribute(localSdp, 'fingerprint');
  const [algorithm, value] = attribute?.split(' ') ?? [];
  if (!algorithm || !value) throw new Error('the local SDP has no a=fingerprint line');
  const lowerCase = algorithm.toLowerCase();
  if (!isFingerprintAlgorithm(lowerCase)) {
    throw new Error(
      `the local SDP's fingerprint algorithm ${algorithm} is not one mediasoup takes`,
    );
  }
  return { algorithm: lowerCase, value };
}

function isFingerprintAlgorithm(value: string): value is FingerprintAlgorithm {
  return FINGERPRINT_ALGORITHMS.includes(value);
}

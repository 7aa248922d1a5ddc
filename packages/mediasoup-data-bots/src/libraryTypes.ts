// The library's types that the signaling adapter names, from its public `types` namespace.
import type { types } from 'mediasoup-data-producer';

export type DtlsParameters = types.DtlsParameters;
export type IceCandidate = types.IceCandidate;
export type IceParameters = types.IceParameters;
export type SctpCapabilities = types.SctpCapabilities;
export type SctpParameters = types.SctpParameters;
export type SctpStreamParameters = types.SctpStreamParameters;

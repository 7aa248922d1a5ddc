// What the engine keeps of each transport and its producers while running, and the plain
// result it returns of them.

import type { DataProducer, Transport } from 'mediasoup-data-producer';

import type { ProducerResult, TransportResult, TransportStatus } from './types.js';

export interface ProducerState extends ProducerResult {
  transportIndex: number;
  dataProducer: DataProducer | undefined;
}

export interface TransportState {
  index: number;
  id: string | undefined;
  status: TransportStatus;
  transport: Transport | undefined;
  startedAt: number | undefined;
  connectMs: number | undefined;
  error: string | undefined;
  producers: ProducerState[];
  /** The app's server was asked to close it (once is enough). */
  serverClosed: boolean;
}

export function newTransportState(index: number, producers: number): TransportState {
  return {
    index,
    id: undefined,
    status: 'pending',
    transport: undefined,
    startedAt: undefined,
    connectMs: undefined,
    error: undefined,
    serverClosed: false,
    producers: Array.from({ length: producers }, (_unused, p) => ({
      index: p,
      transportIndex: index,
      id: undefined,
      label: `mdp-${index}-${p}`,
      sent: 0,
      bytes: 0,
      error: undefined,
      dataProducer: undefined,
    })),
  };
}

/** Without the live objects: what a result or report may hold. */
export function transportResult(t: TransportState): TransportResult {
  return {
    index: t.index,
    id: t.id,
    status: t.status,
    connectMs: t.connectMs,
    error: t.error,
    producers: t.producers.map((p) => ({
      index: p.index,
      id: p.id,
      label: p.label,
      sent: p.sent,
      bytes: p.bytes,
      error: p.error,
    })),
  };
}

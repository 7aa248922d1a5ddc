// How `transport.getStats()` reads: an RTCStatsReport-like Map made of the handler's
// transport-level numbers and each DataProducer's or DataConsumer's own.
import type { ConnectionState } from '../types.js';
import type { HandlerTransportStats } from './HandlerInterface.js';

/** One entry of `getStats()`, shaped like an RTCStats dictionary. */
export type TransportStat = { id: string; type: string; timestamp: number } & Record<
  string,
  unknown
>;

/** What the report shows of a DataProducer or DataConsumer (both have these members). */
export interface HandlerStatsEndpoint {
  readonly id: string;
  readonly sctpStreamParameters: { streamId: number };
  readonly label: string;
  readonly protocol: string;
  readonly readyState: string;
  /** Its own counters: `messagesSent`, `bytesSent` or `messagesReceived`, `bytesReceived`. */
  readonly stats: Record<string, number>;
}

/** What the transport knows that the handler does not, for `handler.getStats()`. */
export interface HandlerStatsOptions {
  connectionState: ConnectionState;
  /** The DataProducers whose `produceData()` resolved and that are not closed. */
  dataProducers: Iterable<HandlerStatsEndpoint>;
  /** The DataConsumers not closed. */
  dataConsumers: Iterable<HandlerStatsEndpoint & { readonly dataProducerId: string }>;
}

/**
 * The report: `T01` the transport, `CP01`, `CL01` and `CR01` the selected candidate pair and
 * its candidates (when a pair is selected), `D<streamId>` each DataConsumer, then each
 * DataProducer. Every entry has the same `timestamp`.
 */
export function statsReport(
  stats: HandlerTransportStats,
  { connectionState, dataProducers, dataConsumers }: HandlerStatsOptions,
  timestamp: number = Date.now(),
): Map<string, TransportStat> {
  const report = new Map<string, TransportStat>();
  const pair = stats.selectedCandidatePair;
  report.set('T01', {
    id: 'T01',
    type: 'transport',
    timestamp,
    bytesSent: stats.bytesSent,
    bytesReceived: stats.bytesReceived,
    connectionState,
    ...(pair && { selectedCandidatePairId: 'CP01' }),
  });
  if (pair) {
    report.set('CP01', {
      id: 'CP01',
      type: 'candidate-pair',
      timestamp,
      state: 'succeeded',
      nominated: true,
      localCandidateId: 'CL01',
      remoteCandidateId: 'CR01',
      ...(stats.roundTripTime !== undefined && { currentRoundTripTime: stats.roundTripTime }),
    });
    for (const [id, type, candidate] of [
      ['CL01', 'local-candidate', pair.local],
      ['CR01', 'remote-candidate', pair.remote],
    ] as const) {
      report.set(id, {
        id,
        type,
        timestamp,
        address: candidate.address,
        port: candidate.port,
        protocol: candidate.protocol,
        candidateType: candidate.candidateType,
      });
    }
  }
  for (const consumer of dataConsumers) {
    setDataChannel(report, consumer, timestamp, {
      dataConsumerId: consumer.id,
      dataProducerId: consumer.dataProducerId,
    });
  }
  for (const producer of dataProducers) {
    setDataChannel(report, producer, timestamp, { dataProducerId: producer.id });
  }
  return report;
}

function setDataChannel(
  report: Map<string, TransportStat>,
  endpoint: HandlerStatsEndpoint,
  timestamp: number,
  ids: Record<string, string>,
): void {
  const streamId = endpoint.sctpStreamParameters.streamId;
  report.set(`D${streamId}`, {
    id: `D${streamId}`,
    type: 'data-channel',
    timestamp,
    ...ids,
    label: endpoint.label,
    protocol: endpoint.protocol,
    dataChannelIdentifier: streamId,
    state: endpoint.readyState,
    ...endpoint.stats,
  });
}

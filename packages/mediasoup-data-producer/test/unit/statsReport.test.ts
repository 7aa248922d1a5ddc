import { FakeHandler } from '../../src/handlers/FakeHandler.js';
import type { HandlerTransportStats } from '../../src/handlers/HandlerInterface.js';
import {
  statsReport,
  type HandlerStatsEndpoint,
  type HandlerStatsOptions,
} from '../../src/handlers/statsReport.js';

const AT = 1_700_000_000_000;

const PAIR: NonNullable<HandlerTransportStats['selectedCandidatePair']> = {
  local: { address: '127.0.0.1', port: 50000, protocol: 'udp', candidateType: 'host' },
  remote: { address: '127.0.0.2', port: 40000, protocol: 'udp', candidateType: 'host' },
};

function producer(streamId: number, id: string): HandlerStatsEndpoint {
  return {
    id,
    sctpStreamParameters: { streamId },
    label: `label-${id}`,
    protocol: 'proto',
    readyState: 'open',
    stats: { messagesSent: 3, bytesSent: 30 },
  };
}

function options(overrides: Partial<HandlerStatsOptions> = {}): HandlerStatsOptions {
  return { connectionState: 'connected', dataProducers: [], dataConsumers: [], ...overrides };
}

describe('statsReport', () => {
  test('statsReport() with no selected pair and no endpoint has only the transport entry', () => {
    const report = statsReport(
      { bytesSent: 5, bytesReceived: 7 },
      options({ connectionState: 'new' }),
      AT,
    );

    expect([...report]).toEqual([
      [
        'T01',
        {
          id: 'T01',
          type: 'transport',
          timestamp: AT,
          bytesSent: 5,
          bytesReceived: 7,
          connectionState: 'new',
        },
      ],
    ]);
  });

  test('statsReport() with a selected pair links the transport to the pair and the pair to both candidates', () => {
    const report = statsReport(
      { bytesSent: 1, bytesReceived: 2, roundTripTime: 0.012, selectedCandidatePair: PAIR },
      options(),
      AT,
    );

    expect([...report.keys()]).toEqual(['T01', 'CP01', 'CL01', 'CR01']);
    expect(report.get('T01')?.selectedCandidatePairId).toBe('CP01');
    expect(report.get('CP01')).toEqual({
      id: 'CP01',
      type: 'candidate-pair',
      timestamp: AT,
      state: 'succeeded',
      nominated: true,
      localCandidateId: 'CL01',
      remoteCandidateId: 'CR01',
      currentRoundTripTime: 0.012,
    });
    expect(report.get('CL01')).toEqual({
      id: 'CL01',
      type: 'local-candidate',
      timestamp: AT,
      ...PAIR.local,
    });
    expect(report.get('CR01')).toEqual({
      id: 'CR01',
      type: 'remote-candidate',
      timestamp: AT,
      ...PAIR.remote,
    });
  });

  test('statsReport() with a pair but no round-trip time leaves currentRoundTripTime out', () => {
    const report = statsReport(
      { bytesSent: 0, bytesReceived: 0, selectedCandidatePair: PAIR },
      options(),
      AT,
    );

    expect(report.get('CP01')).not.toHaveProperty('currentRoundTripTime');
  });

  test('statsReport() with endpoints has one data-channel entry per stream, consumers with both ids, producers with their own', () => {
    const report = statsReport(
      { bytesSent: 0, bytesReceived: 0 },
      options({
        dataProducers: [producer(2, 'dp2'), producer(0, 'dp0')],
        dataConsumers: [
          {
            id: 'dc1',
            dataProducerId: 'remote-dp',
            sctpStreamParameters: { streamId: 1 },
            label: 'in',
            protocol: '',
            readyState: 'connecting',
            stats: { messagesReceived: 4, bytesReceived: 40 },
          },
        ],
      }),
      AT,
    );

    expect([...report.keys()]).toEqual(['T01', 'D1', 'D2', 'D0']);
    expect(report.get('D1')).toEqual({
      id: 'D1',
      type: 'data-channel',
      timestamp: AT,
      dataConsumerId: 'dc1',
      dataProducerId: 'remote-dp',
      label: 'in',
      protocol: '',
      dataChannelIdentifier: 1,
      state: 'connecting',
      messagesReceived: 4,
      bytesReceived: 40,
    });
    expect(report.get('D2')).toEqual({
      id: 'D2',
      type: 'data-channel',
      timestamp: AT,
      dataProducerId: 'dp2',
      label: 'label-dp2',
      protocol: 'proto',
      dataChannelIdentifier: 2,
      state: 'open',
      messagesSent: 3,
      bytesSent: 30,
    });
  });

  test('statsReport() without a timestamp stamps every entry with the same Date.now()', () => {
    jest
      .spyOn(Date, 'now')
      .mockReturnValueOnce(AT + 1)
      .mockReturnValue(AT + 2);
    try {
      const report = statsReport(
        { bytesSent: 0, bytesReceived: 0, selectedCandidatePair: PAIR },
        options({ dataProducers: [producer(0, 'dp0')] }),
      );

      expect(new Set([...report.values()].map((entry) => entry.timestamp))).toEqual(
        new Set([AT + 1]),
      );
    } finally {
      jest.restoreAllMocks();
    }
  });
});

describe('HandlerInterface', () => {
  test("handler.getStats() reports the handler's getTransportStats() numbers with the transport's state and endpoints", async () => {
    const handler = new FakeHandler();
    jest.spyOn(handler, 'getTransportStats').mockResolvedValue({
      bytesSent: 11,
      bytesReceived: 22,
      selectedCandidatePair: PAIR,
    });

    const report = await handler.getStats(
      options({ connectionState: 'disconnected', dataProducers: [producer(3, 'dp3')] }),
    );

    expect([...report.keys()]).toEqual(['T01', 'CP01', 'CL01', 'CR01', 'D3']);
    expect(report.get('T01')).toMatchObject({
      bytesSent: 11,
      bytesReceived: 22,
      connectionState: 'disconnected',
    });
    expect(report.get('D3')).toMatchObject({ dataProducerId: 'dp3', messagesSent: 3 });
  });
});

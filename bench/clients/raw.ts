// Raw node-datachannel: a PeerConnection with one negotiated channel and the answer SDP
// written from the router's parameters (test/support/rawPeer.ts, with a label, timeouts,
// failure reporting and no layer in between). The ceiling of our stack.
import { PeerConnection, type DataChannel } from 'node-datachannel';

import { buildAnswerSdp, localFingerprint, sdpAttribute } from 'mediasoup-data-producer/testing';
import { abortable } from '../lib/util.js';
import type {
  BenchChannel,
  BenchClient,
  BenchReceiver,
  ConsumeParams,
  SignalingRouter,
  TransportParams,
} from './types.js';

export function createClient(): BenchClient {
  return {
    name: 'raw',
    stack: 'node-datachannel (bare PeerConnection + negotiated DataChannel)',
    open: openRawChannel,
    openReceiver: openRawReceiver,
    dispose: () => undefined,
  };
}

async function openRawChannel(
  router: SignalingRouter,
  label: string,
  signal: AbortSignal,
): Promise<BenchChannel> {
  const params = await abortable(router.createWebRtcTransport(), signal);
  let pc: PeerConnection | undefined;
  let dc: DataChannel | undefined;
  let failure: ((reason: string) => void) | undefined;
  let failed: string | undefined;
  const fail = (reason: string): void => {
    if (failed !== undefined) return;
    failed = reason;
    failure?.(reason);
  };
  const closeAll = (): void => {
    try {
      dc?.close();
    } catch {
      // already closed
    }
    try {
      pc?.close();
    } catch {
      // already closed
    }
  };
  try {
    pc = new PeerConnection(label, { iceServers: [], disableAutoNegotiation: true });
    const channel = pc.createDataChannel(label, { negotiated: true, id: 0 });
    dc = channel;
    let open = false;
    const opened = new Promise<void>((resolve, reject) => {
      channel.onOpen(() => {
        open = true;
        resolve();
      });
      channel.onError((error) => {
        reject(new Error(`DataChannel error: ${error}`));
        fail(`DataChannel error: ${error}`);
      });
      channel.onClosed(() => {
        reject(new Error('DataChannel closed before it opened'));
        if (open) fail('DataChannel closed');
      });
      pc?.onStateChange((state) => {
        if (state === 'failed' || state === 'closed') {
          reject(new Error(`PeerConnection ${state}`));
          if (open) fail(`PeerConnection ${state}`);
        }
      });
    });
    // Avoid an unhandled rejection if we fail before awaiting it.
    opened.catch(() => undefined);

    await negotiate(pc, params, router, signal);
    const { id } = await abortable(
      router.produceData(params.id, {
        sctpStreamParameters: { streamId: 0, ordered: true },
        label,
      }),
      signal,
    );
    await abortable(opened, signal);
    return {
      dataProducerId: id,
      transportId: params.id,
      send: (data) => {
        channel.sendMessageBinary(data);
      },
      bufferedAmount: () => channel.bufferedAmount(),
      setBufferedAmountLowThreshold: (bytes) => {
        channel.setBufferedAmountLowThreshold(bytes);
      },
      onBufferedAmountLow: (cb) => {
        channel.onBufferedAmountLow(cb);
      },
      onFailure: (cb) => {
        failure = cb;
        if (failed !== undefined) cb(failed);
      },
      close: () => {
        failure = undefined;
        closeAll();
      },
    };
  } catch (error) {
    failure = undefined;
    closeAll();
    await Promise.resolve(router.closeTransport(params.id)).catch(() => undefined);
    throw error;
  }
}

/** Offer from node-datachannel, the router told our DTLS fingerprint, an answer written from its parameters. */
async function negotiate(
  pc: PeerConnection,
  params: TransportParams,
  router: SignalingRouter,
  signal: AbortSignal,
): Promise<void> {
  pc.setLocalDescription();
  const offer = pc.localDescription();
  if (!offer) throw new Error('node-datachannel produced no local description');
  const fingerprint = params.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256');
  if (!fingerprint || !params.sctpParameters)
    throw new Error('router transport lacks sha-256 or SCTP');

  await abortable(
    router.connect(params.id, {
      dtlsParameters: { role: 'client', fingerprints: [localFingerprint(offer.sdp)] },
    }),
    signal,
  );
  pc.setRemoteDescription(
    buildAnswerSdp({
      iceParameters: params.iceParameters,
      iceCandidates: params.iceCandidates,
      fingerprint,
      remoteDtlsRole: 'server',
      sctpPort: params.sctpParameters.port,
      maxMessageSize: Number(params.sctpParameters.maxMessageSize),
      mid: sdpAttribute(offer.sdp, 'mid') ?? '0',
    }),
    'answer',
  );
}

/**
 * A bare PeerConnection receiving on a negotiated channel with the stream id the router
 * chose for its DataConsumer: the receive side's ceiling.
 */
async function openRawReceiver(
  router: SignalingRouter,
  label: string,
  consume: (transportId: string) => Promise<ConsumeParams>,
  signal: AbortSignal,
): Promise<BenchReceiver> {
  const params = await abortable(router.createWebRtcTransport(), signal);
  let pc: PeerConnection | undefined;
  let dc: DataChannel | undefined;
  let failure: ((reason: string) => void) | undefined;
  let failed: string | undefined;
  let messageListener: ((data: Uint8Array | string) => void) | undefined;
  const fail = (reason: string): void => {
    if (failed !== undefined) return;
    failed = reason;
    failure?.(reason);
  };
  const closeAll = (): void => {
    try {
      dc?.close();
    } catch {
      // already closed
    }
    try {
      pc?.close();
    } catch {
      // already closed
    }
  };
  try {
    const consumed = await abortable(consume(params.id), signal);
    pc = new PeerConnection(label, { iceServers: [], disableAutoNegotiation: true });
    const channel = pc.createDataChannel(consumed.label, {
      negotiated: true,
      id: consumed.sctpStreamParameters.streamId,
    });
    dc = channel;
    channel.onMessage((message) => {
      messageListener?.(
        typeof message === 'string' || message instanceof Uint8Array
          ? message
          : new Uint8Array(message),
      );
    });
    let open = false;
    const opened = new Promise<void>((resolve, reject) => {
      channel.onOpen(() => {
        open = true;
        resolve();
      });
      channel.onError((error) => {
        reject(new Error(`DataChannel error: ${error}`));
        fail(`DataChannel error: ${error}`);
      });
      channel.onClosed(() => {
        reject(new Error('DataChannel closed before it opened'));
        if (open) fail('DataChannel closed');
      });
      pc?.onStateChange((state) => {
        if (state === 'failed' || state === 'closed') {
          reject(new Error(`PeerConnection ${state}`));
          if (open) fail(`PeerConnection ${state}`);
        }
      });
    });
    opened.catch(() => undefined);
    await negotiate(pc, params, router, signal);
    await abortable(opened, signal);
    return {
      transportId: params.id,
      dataConsumerId: consumed.id,
      onMessage: (cb) => {
        messageListener = cb;
      },
      onFailure: (cb) => {
        failure = cb;
        if (failed !== undefined) cb(failed);
      },
      close: () => {
        failure = undefined;
        closeAll();
      },
    };
  } catch (error) {
    failure = undefined;
    closeAll();
    await Promise.resolve(router.closeTransport(params.id)).catch(() => undefined);
    throw error;
  }
}

// One adapter for every client with mediasoup-client's API (ours, mediasoup-client,
// msc-node): Device -> send transport -> DataProducer, with the `connect` and
// `producedata` events wired to the router.
import { abortable, errorMessage, sleep } from '../lib/util.js';
import type {
  BenchChannel,
  BenchClient,
  BenchReceiver,
  ConsumeParams,
  SignalingRouter,
  TransportParams,
} from './types.js';

export interface MsLikeDataProducer {
  readonly id: string;
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: Buffer): void;
  on(
    event: 'open' | 'bufferedamountlow' | 'close' | 'transportclose',
    listener: () => void,
  ): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}

export interface MsLikeTransport {
  readonly id: string;
  on(
    event: 'connect',
    listener: (
      params: { dtlsParameters: unknown },
      callback: () => void,
      errback: (error: Error) => void,
    ) => void,
  ): unknown;
  on(
    event: 'producedata',
    listener: (
      params: {
        sctpStreamParameters: unknown;
        label?: string;
        protocol?: string;
        appData?: Record<string, unknown>;
      },
      callback: (result: { id: string }) => void,
      errback: (error: Error) => void,
    ) => void,
  ): unknown;
  on(event: 'connectionstatechange', listener: (state: string) => void): unknown;
  produceData(options: { ordered: boolean; label: string }): Promise<MsLikeDataProducer>;
  close(): void;
}

export interface MsLikeDataConsumer {
  readonly id: string;
  readonly readyState: string;
  binaryType: string;
  on(event: 'open' | 'close' | 'transportclose', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  close(): void;
}

export interface MsLikeRecvTransport {
  readonly id: string;
  on(
    event: 'connect',
    listener: (
      params: { dtlsParameters: unknown },
      callback: () => void,
      errback: (error: Error) => void,
    ) => void,
  ): unknown;
  on(event: 'connectionstatechange', listener: (state: string) => void): unknown;
  consumeData(options: ConsumeParams): Promise<MsLikeDataConsumer>;
  close(): void;
}

export interface MsLikeDevice {
  readonly sctpCapabilities: { numStreams: { OS: number; MIS: number } };
  createSendTransport(options: TransportParams): MsLikeTransport;
  createRecvTransport(options: TransportParams): MsLikeRecvTransport;
}

/** A received message as bytes (or a string); undefined for a kind the benchmark cannot read (a Blob). */
export function messageBytes(message: unknown): Uint8Array | string | undefined {
  if (typeof message === 'string' || message instanceof Uint8Array) return message;
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  return undefined;
}

/** Opens a recv transport and one DataConsumer of what `consume` answers for it. */
export async function openMsLikeReceiver(
  device: MsLikeDevice,
  router: SignalingRouter,
  consume: (transportId: string) => Promise<ConsumeParams>,
  signal: AbortSignal,
  options: { binaryType?: string; closeGraceMs?: number } = {},
): Promise<BenchReceiver> {
  const params = await abortable(
    router.createWebRtcTransport({ numSctpStreams: device.sctpCapabilities.numStreams }),
    signal,
  );
  let transport: MsLikeRecvTransport | undefined;
  let consumer: MsLikeDataConsumer | undefined;
  let failure: ((reason: string) => void) | undefined;
  let failed: string | undefined;
  let closing = false;
  let messageListener: ((data: Uint8Array | string) => void) | undefined;
  const fail = (reason: string): void => {
    if (failed !== undefined || closing) return;
    failed = reason;
    failure?.(reason);
  };
  const closeTransport = (): void => {
    try {
      transport?.close();
    } catch {
      // already closed
    }
  };
  const closeAll = async (): Promise<void> => {
    closing = true;
    try {
      consumer?.close();
    } catch {
      // already closed
    }
    // As for the send side (MsLikeOptions.closeGraceMs): let the stream reset finish first.
    const graceMs = options.closeGraceMs ?? 0;
    const deadline = performance.now() + graceMs;
    while (consumer && consumer.readyState !== 'closed' && performance.now() < deadline) {
      await sleep(10);
    }
    if (consumer && graceMs > 0) await sleep(Math.min(100, graceMs));
    closeTransport();
  };
  try {
    const t = device.createRecvTransport(params);
    transport = t;
    let rejectFailed: ((error: Error) => void) | undefined;
    const transportFailed = new Promise<never>((_resolve, reject) => {
      rejectFailed = reject;
    });
    transportFailed.catch(() => undefined);
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      router.connect(t.id, { dtlsParameters }).then(callback, (error: unknown) => {
        errback(new Error(errorMessage(error)));
      });
    });
    t.on('connectionstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        rejectFailed?.(new Error(`transport connection ${state}`));
        fail(`transport connection ${state}`);
      }
    });
    const consumeParams = await abortable(consume(t.id), signal);
    const dc = await abortable(
      Promise.race([t.consumeData(consumeParams), transportFailed]),
      signal,
    );
    consumer = dc;
    if (options.binaryType !== undefined) dc.binaryType = options.binaryType;
    dc.on('message', (message) => {
      const data = messageBytes(message);
      if (data === undefined) fail(`a message of an unreadable kind (${typeof message})`);
      else messageListener?.(data);
    });
    dc.on('error', (error) => {
      fail(`DataConsumer error: ${error.message}`);
    });
    dc.on('close', () => {
      fail('DataConsumer closed');
    });
    dc.on('transportclose', () => {
      fail('transport closed');
    });
    if (dc.readyState !== 'open') {
      const opened = new Promise<void>((resolve) => {
        dc.on('open', resolve);
      });
      await abortable(Promise.race([opened, transportFailed]), signal);
    }
    return {
      transportId: params.id,
      dataConsumerId: consumeParams.id,
      onMessage: (cb) => {
        messageListener = cb;
      },
      onFailure: (cb) => {
        failure = cb;
        if (failed !== undefined) cb(failed);
      },
      close: async () => {
        failure = undefined;
        await closeAll();
      },
    };
  } catch (error) {
    failure = undefined;
    closing = true;
    try {
      consumer?.close();
    } catch {
      // already closed
    }
    closeTransport();
    await Promise.resolve(router.closeTransport(params.id)).catch(() => undefined);
    throw error;
  }
}

/**
 * Opens a send transport and one DataProducer on a loaded device. The router transport
 * offers the device's numSctpStreams (mediasoup 3.8 takes them from there).
 */
export interface MsLikeOptions {
  /**
   * How long to wait, after closing the DataProducer, for its channel to reach 'closed'
   * (the stream reset answered) before closing the transport. For msc-node: werift leaves
   * its SCTP re-configuration timer running, and the process alive, if the association
   * stops while a reset is open.
   */
  closeGraceMs: number;
}

export async function openMsLikeChannel(
  device: MsLikeDevice,
  router: SignalingRouter,
  label: string,
  signal: AbortSignal,
  options: MsLikeOptions = { closeGraceMs: 0 },
): Promise<BenchChannel> {
  const params = await abortable(
    router.createWebRtcTransport({ numSctpStreams: device.sctpCapabilities.numStreams }),
    signal,
  );
  let transport: MsLikeTransport | undefined;
  let producer: MsLikeDataProducer | undefined;
  let failure: ((reason: string) => void) | undefined;
  let failed: string | undefined;
  let closing = false;
  const fail = (reason: string): void => {
    if (failed !== undefined || closing) return;
    failed = reason;
    failure?.(reason);
  };
  const closeTransport = (): void => {
    try {
      transport?.close();
    } catch {
      // already closed
    }
  };
  const closeAll = async (): Promise<void> => {
    closing = true;
    try {
      producer?.close();
    } catch {
      // already closed
    }
    const deadline = performance.now() + options.closeGraceMs;
    while (producer && producer.readyState !== 'closed' && performance.now() < deadline) {
      await sleep(10);
    }
    // Our own reset request may still be unanswered when the router's reset closed the channel.
    if (producer && options.closeGraceMs > 0) await sleep(Math.min(100, options.closeGraceMs));
    closeTransport();
  };
  try {
    const t = device.createSendTransport(params);
    transport = t;
    let rejectFailed: ((error: Error) => void) | undefined;
    const transportFailed = new Promise<never>((_resolve, reject) => {
      rejectFailed = reject;
    });
    transportFailed.catch(() => undefined);
    t.on('connect', ({ dtlsParameters }, callback, errback) => {
      router.connect(t.id, { dtlsParameters }).then(callback, (error: unknown) => {
        errback(new Error(errorMessage(error)));
      });
    });
    t.on('producedata', (p, callback, errback) => {
      router
        .produceData(t.id, {
          sctpStreamParameters: p.sctpStreamParameters,
          label: p.label ?? label,
          protocol: p.protocol ?? '',
          appData: p.appData ?? {},
        })
        .then(callback, (error: unknown) => {
          errback(new Error(errorMessage(error)));
        });
    });
    t.on('connectionstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        rejectFailed?.(new Error(`transport connection ${state}`));
        fail(`transport connection ${state}`);
      }
    });
    const dp = await abortable(
      Promise.race([t.produceData({ ordered: true, label }), transportFailed]),
      signal,
    );
    producer = dp;
    dp.on('error', (error) => {
      fail(`DataProducer error: ${error.message}`);
    });
    dp.on('close', () => {
      fail('DataProducer closed');
    });
    dp.on('transportclose', () => {
      fail('transport closed');
    });
    if (dp.readyState !== 'open') {
      const opened = new Promise<void>((resolve) => {
        dp.on('open', resolve);
      });
      await abortable(Promise.race([opened, transportFailed]), signal);
    }
    // One listener on the DataProducer, forwarding to whatever the benchmark registers.
    let lowListener: (() => void) | undefined;
    dp.on('bufferedamountlow', () => {
      lowListener?.();
    });
    return {
      dataProducerId: dp.id,
      transportId: params.id,
      send: (data) => {
        dp.send(data);
      },
      bufferedAmount: () => dp.bufferedAmount,
      setBufferedAmountLowThreshold: (bytes) => {
        dp.bufferedAmountLowThreshold = bytes;
      },
      onBufferedAmountLow: (cb) => {
        lowListener = cb;
      },
      onFailure: (cb) => {
        failure = cb;
        if (failed !== undefined) cb(failed);
      },
      close: async () => {
        failure = undefined;
        await closeAll();
      },
    };
  } catch (error) {
    failure = undefined;
    closing = true;
    closeTransport();
    await Promise.resolve(router.closeTransport(params.id)).catch(() => undefined);
    throw error;
  }
}

/** A BenchClient for a library with mediasoup-client's API: one device, loaded on first use. */
export function msLikeClient(spec: {
  name: string;
  stack: string;
  loadDevice(router: SignalingRouter): Promise<MsLikeDevice>;
  options?: MsLikeOptions;
  /** binaryType to set on each DataConsumer (default: the library's). */
  binaryType?: string;
}): BenchClient {
  let device: Promise<MsLikeDevice> | undefined;
  return {
    name: spec.name,
    stack: spec.stack,
    open: async (router, label, signal) => {
      device ??= spec.loadDevice(router);
      return openMsLikeChannel(await device, router, label, signal, spec.options);
    },
    openReceiver: async (router, _label, consume, signal) => {
      device ??= spec.loadDevice(router);
      return openMsLikeReceiver(await device, router, consume, signal, {
        ...(spec.binaryType !== undefined && { binaryType: spec.binaryType }),
        closeGraceMs: spec.options?.closeGraceMs ?? 0,
      });
    },
    dispose: () => undefined,
  };
}

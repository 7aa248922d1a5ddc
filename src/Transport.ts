import {
  DataProducer,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  type DataProducerOptions,
} from './DataProducer.js';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { InvalidStateError, messageOf, OperationError, UnsupportedError } from './errors.js';
import { toNativeIceServers } from './iceServers.js';
import { Logger } from './Logger.js';
import {
  createNativePeer,
  type NativeChannel,
  type NativePeer,
  type NativePeerState,
} from './native.js';
import { buildAnswerSdp, localFingerprint, sdpAttribute } from './sdp/answerSdp.js';
import { StreamIds } from './StreamIds.js';
import type {
  AppData,
  ConnectionState,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  IceServer,
  IceTransportPolicy,
  SctpParameters,
  SctpStreamParameters,
} from './types.js';
import {
  isPlainObject,
  validateAppData,
  validateDtlsParameters,
  validateIceCandidates,
  validateIceParameters,
  validateIceServers,
  validateIceTransportPolicy,
  validateProduceDataOptions,
  validateSctpParameters,
  validateTimeout,
  type NormalizedSctp,
  type ProduceDataSettings,
} from './validation.js';

const logger = new Logger('Transport');

/** How many streams we open at most, as `device.sctpCapabilities` tells the router. */
export const SCTP_NUM_STREAMS = { OS: 1024, MIS: 1024 } as const;

const DEFAULT_SIGNALING_TIMEOUT_MS = 30000;

/** What `device.createSendTransport()` takes: the router's WebRtcTransport parameters. */
export interface TransportOptions<TransportAppData extends AppData = AppData> {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
  sctpParameters?: SctpParameters;
  iceServers?: IceServer[];
  iceTransportPolicy?: IceTransportPolicy;
  appData?: TransportAppData;
  /**
   * How long `connect` and `producedata` may go unanswered before `produceData()` rejects
   * with OperationError. Default 30000 ms.
   */
  signalingTimeout?: number;
}

export interface ProduceDataParameters {
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
  appData: AppData;
}

export type TransportEvents = {
  connect: [{ dtlsParameters: DtlsParameters }, () => void, (error: Error) => void];
  producedata: [ProduceDataParameters, (result: { id: string }) => void, (error: Error) => void];
  connectionstatechange: [ConnectionState];
};

export type TransportObserverEvents = {
  close: [];
  newdataproducer: [DataProducer];
};

/** One entry of `getStats()`, shaped like an RTCStats dictionary. */
export type TransportStat = { id: string; type: string; timestamp: number } & Record<
  string,
  unknown
>;

interface PendingSignal {
  event: 'connect' | 'producedata';
  reject: (error: Error) => void;
}

export class Transport<
  TransportAppData extends AppData = AppData,
> extends EnhancedEventEmitter<TransportEvents> {
  private readonly _id: string;
  private readonly _iceParameters: IceParameters;
  private readonly _iceCandidates: IceCandidate[];
  private readonly _dtlsParameters: DtlsParameters;
  private readonly _sctp: NormalizedSctp | undefined;
  private readonly _signalingTimeout: number;
  private _iceServers: IceServer[];
  private readonly _iceTransportPolicy: IceTransportPolicy;
  private _appData: TransportAppData;
  private readonly _observer = new EnhancedEventEmitter<TransportObserverEvents>();
  private _closed = false;
  private _connectionState: ConnectionState = 'new';
  private _peer: NativePeer | undefined;
  private _offerSdp: string | undefined;
  private _connected = false;
  /** The SCTP association has been up (connectionState reached 'connected'). */
  private _associated = false;
  private _streamIds: StreamIds | undefined;
  /** Every producer created and not yet closed (not those whose producedata is unanswered). */
  private readonly _producers = new Set<DataProducer>();
  private readonly _pendingSignals = new Set<PendingSignal>();
  private _queue: Promise<unknown> = Promise.resolve();

  /** @internal Use `device.createSendTransport()`. */
  constructor(options: TransportOptions<TransportAppData>) {
    super();
    if (!isPlainObject(options))
      throw new TypeError('createSendTransport() options must be a plain object');
    if (typeof options.id !== 'string' || options.id.length === 0) {
      throw new TypeError('id must be a non-empty string');
    }
    this._id = options.id;
    this._iceParameters = validateIceParameters(options.iceParameters);
    this._iceCandidates = validateIceCandidates(options.iceCandidates);
    this._dtlsParameters = validateDtlsParameters(options.dtlsParameters);
    this._sctp = validateSctpParameters(options.sctpParameters);
    this._iceServers = validateIceServers(options.iceServers);
    this._iceTransportPolicy = validateIceTransportPolicy(options.iceTransportPolicy);
    this._appData = validateAppData(options.appData) as TransportAppData;
    this._signalingTimeout = validateTimeout(
      options.signalingTimeout,
      'signalingTimeout',
      DEFAULT_SIGNALING_TIMEOUT_MS,
    );
    logger.debug('constructor() [id:%s]', this._id);
  }

  get id(): string {
    return this._id;
  }

  get closed(): boolean {
    return this._closed;
  }

  get direction(): 'send' {
    return 'send';
  }

  get connectionState(): ConnectionState {
    return this._connectionState;
  }

  get appData(): TransportAppData {
    return this._appData;
  }

  set appData(appData: TransportAppData) {
    this._appData = appData;
  }

  get observer(): EnhancedEventEmitter<TransportObserverEvents> {
    return this._observer;
  }

  /** Closes the transport and every DataProducer on it (each emits `transportclose`). */
  close(): void {
    if (this._closed) return;
    logger.debug('close() [id:%s]', this._id);
    this._closed = true;
    this._connectionState = 'closed';
    this.rejectPendingSignals('transport closed');
    for (const producer of [...this._producers]) producer.transportClosed();
    this._producers.clear();
    this.closePeer();
    this._observer.safeEmit('close');
  }

  /**
   * Creates a DataProducer on a new SCTP stream. The first call emits `connect`; every call
   * emits `producedata`. Calls are serialized.
   */
  async produceData<DataProducerAppData extends AppData = AppData>(
    options: DataProducerOptions<DataProducerAppData> = {},
  ): Promise<DataProducer<DataProducerAppData>> {
    logger.debug('produceData() [id:%s]', this._id);
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this._connectionState === 'failed') {
      throw new InvalidStateError('transport connection failed: close it and create a new one');
    }
    if (!this._sctp) {
      throw new UnsupportedError('SCTP is not enabled by the remote transport (no sctpParameters)');
    }
    if (this.listenerCount('connect') === 0 && this._connectionState === 'new') {
      throw new TypeError('no "connect" listener set on this transport');
    }
    if (this.listenerCount('producedata') === 0) {
      throw new TypeError('no "producedata" listener set on this transport');
    }
    const settings = validateProduceDataOptions(options, DEFAULT_MAX_BUFFERED_AMOUNT);
    const sctp = this._sctp;
    const run = this._queue.then(() => this.createDataProducer(settings, sctp));
    this._queue = run.catch(() => undefined);
    return run as Promise<DataProducer<DataProducerAppData>>;
  }

  /** Not supported: libdatachannel has no ICE restart. */
  // eslint-disable-next-line @typescript-eslint/require-await
  async restartIce(_options?: { iceParameters: IceParameters }): Promise<void> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    throw new UnsupportedError(
      'restartIce() is not supported: libdatachannel (node-datachannel) has no ICE restart; ' +
        'close this transport and create a new one',
    );
  }

  /** Replaces the ICE servers; only possible before the transport starts connecting. */
  // eslint-disable-next-line @typescript-eslint/require-await
  async updateIceServers(options: { iceServers: IceServer[] }): Promise<void> {
    logger.debug('updateIceServers() [id:%s]', this._id);
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this._peer) {
      throw new UnsupportedError(
        'updateIceServers() only takes effect before the transport starts connecting ' +
          '(its first produceData()): libdatachannel cannot change the ICE servers of a running agent',
      );
    }
    if (!isPlainObject(options) || !Array.isArray(options.iceServers)) {
      throw new TypeError('updateIceServers() takes { iceServers: RTCIceServer[] }');
    }
    this._iceServers = validateIceServers(options.iceServers);
  }

  /** A Map like an RTCStatsReport: the transport, its candidate pair and each data producer. */
  // eslint-disable-next-line @typescript-eslint/require-await
  async getStats(): Promise<Map<string, TransportStat>> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    const report = new Map<string, TransportStat>();
    const timestamp = Date.now();
    const peer = this._peer;
    const pair = peer?.selectedPair();
    const rttMs = peer?.rttMs();
    report.set('T01', {
      id: 'T01',
      type: 'transport',
      timestamp,
      bytesSent: peer?.bytesSent() ?? 0,
      bytesReceived: peer?.bytesReceived() ?? 0,
      connectionState: this._connectionState,
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
        ...(rttMs !== undefined && { currentRoundTripTime: rttMs / 1000 }),
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
          protocol: candidate.transportType.toLowerCase().includes('tcp') ? 'tcp' : 'udp',
          candidateType: candidate.type.toLowerCase(),
        });
      }
    }
    for (const producer of this._producers) {
      const streamId = producer.sctpStreamParameters.streamId;
      report.set(`D${streamId}`, {
        id: `D${streamId}`,
        type: 'data-channel',
        timestamp,
        dataProducerId: producer.id,
        label: producer.label,
        protocol: producer.protocol,
        dataChannelIdentifier: streamId,
        state: producer.readyState,
        ...producer.stats,
      });
    }
    return report;
  }

  private async createDataProducer(
    settings: ProduceDataSettings,
    sctp: NormalizedSctp,
  ): Promise<DataProducer> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    this.assertNotFailed();
    const peer = this.ensurePeer(sctp);
    const streamIds = (this._streamIds ??= new StreamIds(
      Math.min(SCTP_NUM_STREAMS.OS, sctp.maxStreams ?? SCTP_NUM_STREAMS.OS, peer.maxStreamId() + 1),
    ));
    const streamId = await this.allocateStreamId(streamIds);
    const sctpStreamParameters: SctpStreamParameters = {
      streamId,
      ordered: settings.ordered,
      ...(settings.maxPacketLifeTime !== undefined && {
        maxPacketLifeTime: settings.maxPacketLifeTime,
      }),
      ...(settings.maxRetransmits !== undefined && { maxRetransmits: settings.maxRetransmits }),
    };
    let producer: DataProducer | undefined;
    // Set by the native close callback, which can run before the producer exists.
    const early = { closed: false };
    let channel: NativeChannel | undefined;
    const openChannel = (): NativeChannel => {
      try {
        return peer.createChannel({ ...settings, streamId }, () => {
          if (producer) producer.channelClosed();
          else early.closed = true;
        });
      } catch (error) {
        throw new OperationError(`could not create the SCTP channel: ${messageOf(error)}`);
      }
    };
    try {
      if (!this._connected) {
        // The offer needs a channel to carry the SCTP m-line.
        channel ??= openChannel();
        await this.connect(peer, sctp);
      }
      this.assertNotFailed();
      const { id } = await this.signal<{ id: string }>(
        'producedata',
        {
          sctpStreamParameters: { ...sctpStreamParameters },
          label: settings.label,
          protocol: settings.protocol,
          appData: settings.appData,
        },
        (result) => {
          if (!isPlainObject(result) || typeof result.id !== 'string' || result.id.length === 0) {
            throw new TypeError('the producedata callback must be called with { id: string }');
          }
          return { id: result.id };
        },
      );
      this.assertNotClosed();
      // From here on the router has a DataProducer that the app must be able to close, so
      // produceData() resolves whatever happened meanwhile; the DataProducer reports it.
      const failed = this._connectionState === 'failed';
      const doomed = failed || early.closed;
      // Only now, when the router has its DataProducer on this stream (so it has closed any
      // earlier one and sent that stream's reset), may a reused id get a channel: a reset
      // still in flight would close the new one. A doomed producer gets none: a failed peer
      // takes no new channel, and a channel closed early is destroyed natively.
      if (!doomed) channel ??= openChannel();
      else if (channel) closeChannel(channel);
      producer = new DataProducer({
        id,
        channel: doomed ? undefined : channel,
        sctpStreamParameters,
        label: settings.label,
        protocol: settings.protocol,
        appData: settings.appData,
        maxMessageSize: sctp.maxMessageSize,
        maxBufferedAmount: settings.maxBufferedAmount,
        onShutDown: () => {
          if (producer) this._producers.delete(producer);
          this.releaseStreamId(streamIds, streamId);
        },
      });
      this._producers.add(producer);
      if (doomed) {
        const failing = producer;
        // After `await produceData()` has returned, so that the app's listeners see it.
        setImmediate(() => {
          if (failed) failing.transportFailed();
          else failing.channelClosed();
        });
      }
    } catch (error) {
      if (channel) {
        closeChannel(channel);
        this.releaseStreamId(streamIds, streamId);
      } else {
        // libdatachannel never saw this id: no reset can be in flight for it.
        streamIds.release(streamId, { rest: false });
      }
      throw error;
    }
    this._observer.safeEmit('newdataproducer', producer);
    return producer;
  }

  private ensurePeer(sctp: NormalizedSctp): NativePeer {
    if (this._peer) return this._peer;
    const peer = createNativePeer(this._id, {
      iceServers: toNativeIceServers(this._iceServers),
      iceTransportPolicy: this._iceTransportPolicy,
      maxMessageSize: sctp.maxMessageSize,
    });
    peer.onStateChange((state) => {
      this.handlePeerState(state);
    });
    this._peer = peer;
    return peer;
  }

  /** Emits `connect` with our DTLS parameters, then gives the peer the router's answer. */
  private async connect(peer: NativePeer, sctp: NormalizedSctp): Promise<void> {
    const offer = (this._offerSdp ??= peer.createOffer());
    // The router decides when it has a role; otherwise we are the DTLS client, as
    // mediasoup-client is.
    const localRole = this._dtlsParameters.role === 'client' ? 'server' : 'client';
    await this.signal<undefined>(
      'connect',
      { dtlsParameters: { role: localRole, fingerprints: [localFingerprint(offer)] } },
      () => undefined,
    );
    this.assertNotClosed();
    const fingerprint = this._dtlsParameters.fingerprints.find(
      (f) => f.algorithm.toLowerCase() === 'sha-256',
    );
    // validateDtlsParameters() guarantees a sha-256 fingerprint.
    if (!fingerprint)
      throw new TypeError('dtlsParameters.fingerprints must include a sha-256 fingerprint');
    peer.setAnswer(
      buildAnswerSdp({
        iceParameters: this._iceParameters,
        iceCandidates: this._iceCandidates.map((c) => ({ ...c, ip: c.address ?? c.ip ?? '' })),
        fingerprint: { algorithm: 'sha-256', value: fingerprint.value },
        remoteDtlsRole: localRole === 'client' ? 'server' : 'client',
        sctpPort: sctp.port,
        maxMessageSize: sctp.maxMessageSize,
        mid: sdpAttribute(offer, 'mid') ?? '0',
      }),
    );
    this._connected = true;
  }

  /**
   * Emits a signaling event and resolves with what its callback gives. A second call of
   * callback or errback, or one after close or timeout, is ignored with a warning.
   */
  private signal<R>(
    event: 'connect' | 'producedata',
    data: TransportEvents[typeof event][0],
    parse: (result: unknown) => R,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const pending: PendingSignal = {
        event,
        reject: (error) => {
          settle(() => {
            reject(error);
          });
        },
      };
      const settle = (finish: () => void): void => {
        if (settled) {
          logger.warn('"%s" callback or errback called again or too late; ignored', event);
          return;
        }
        settled = true;
        clearTimeout(timer);
        this._pendingSignals.delete(pending);
        finish();
      };
      const timer = setTimeout(() => {
        pending.reject(
          new OperationError(`"${event}" was not answered within ${this._signalingTimeout} ms`),
        );
      }, this._signalingTimeout);
      this._pendingSignals.add(pending);
      const callback = (result?: unknown): void => {
        settle(() => {
          try {
            resolve(parse(result));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      };
      const errback = (error?: unknown): void => {
        settle(() => {
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      };
      if (event === 'connect') {
        this.safeEmit('connect', data as TransportEvents['connect'][0], callback, errback);
      } else {
        this.safeEmit('producedata', data as ProduceDataParameters, callback, errback);
      }
    });
  }

  private handlePeerState(nativeState: NativePeerState): void {
    // Only close() closes the peer connection on purpose, and it ignores what follows. A
    // 'closed' before that is libdatachannel tearing it down by itself (SCTP gave up, the
    // router closed its transport): nothing can revive it, so the transport has failed.
    const state = nativeState === 'closed' ? 'failed' : nativeState;
    if (this._closed || state === this._connectionState) return;
    logger.debug('connection state [id:%s]: %s', this._id, state);
    this._connectionState = state;
    if (state === 'connected') this._associated = true;
    this.safeEmit('connectionstatechange', state);
    if (state === 'failed') {
      for (const producer of [...this._producers]) producer.transportFailed();
      // A pending `producedata` is left to its answer: the app may be creating the router's
      // DataProducer right now, and it must get a DataProducer to close (which then fails).
      this.rejectPendingSignals('transport connection failed', 'connect');
    }
  }

  private rejectPendingSignals(reason: string, only?: PendingSignal['event']): void {
    for (const signal of [...this._pendingSignals]) {
      if (only === undefined || signal.event === only) signal.reject(new InvalidStateError(reason));
    }
  }

  /** The next stream id round-robin; waits while the only free ones are resting after a close. */
  private async allocateStreamId(streamIds: StreamIds): Promise<number> {
    for (;;) {
      const streamId = streamIds.allocate();
      if (streamId !== undefined) return streamId;
      const waitMs = Math.ceil(streamIds.msUntilFree() ?? 1);
      logger.debug('allocateStreamId() | every free stream id is resting, waiting %d ms', waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      this.assertNotClosed();
    }
  }

  /**
   * libdatachannel forgets a stream only through its SCTP reset: a channel closed before
   * the association is up leaves its id taken for the life of the peer (a new channel on it
   * never opens, or never sees the router close it), so that id is not handed out again.
   */
  private releaseStreamId(streamIds: StreamIds, streamId: number): void {
    if (this._associated) streamIds.release(streamId);
  }

  /** For checks after an await: close() may have run meanwhile. */
  private assertNotClosed(): void {
    if (this._closed) throw new InvalidStateError('transport closed');
  }

  /** Before `producedata` is emitted: a failed transport cannot produce. */
  private assertNotFailed(): void {
    if (this._connectionState === 'failed') {
      throw new InvalidStateError('transport connection failed: close it and create a new one');
    }
  }

  private closePeer(): void {
    const peer = this._peer;
    this._peer = undefined;
    peer?.close();
  }
}

/** Closes a native channel that may already be closed (or destroyed) natively. */
function closeChannel(channel: NativeChannel): void {
  try {
    channel.close();
  } catch (error) {
    logger.warn('channel.close() failed: %s', messageOf(error));
  }
}

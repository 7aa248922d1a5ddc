import { DataConsumer, type DataConsumerOptions } from './DataConsumer.js';
import {
  DataProducer,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  type CloseGracefullyOptions,
  type DataProducerOptions,
} from './DataProducer.js';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { InvalidStateError, OperationError, UnsupportedError } from './errors.js';
import type {
  HandlerDataChannel,
  HandlerFactory,
  HandlerInterface,
  HandlerSctpParameters,
  NativeChannel,
} from './handlers/HandlerInterface.js';
import { Logger } from './Logger.js';
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
  validateConsumeDataOptions,
  validateDtlsParameters,
  validateIceCandidates,
  validateIceParameters,
  validateIceServers,
  validateIceTransportPolicy,
  validateProduceDataOptions,
  validateSctpParameters,
  validateTimeout,
  type ConsumeDataSettings,
  type ProduceDataSettings,
} from './validation.js';

const logger = new Logger('Transport');

/** How many streams we open at most, as `device.sctpCapabilities` tells the router. */
export const SCTP_NUM_STREAMS = { OS: 1024, MIS: 1024 } as const;

const DEFAULT_SIGNALING_TIMEOUT_MS = 30000;

/**
 * What `device.createSendTransport()` and `device.createRecvTransport()` take: the router's
 * WebRtcTransport parameters.
 */
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
   * How long `connect` and `producedata` may go unanswered before `produceData()` (or
   * `consumeData()`, for `connect`) rejects with OperationError. Default 30000 ms.
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
  newdataconsumer: [DataConsumer];
};

export type TransportDirection = 'send' | 'recv';

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
  private readonly _direction: TransportDirection;
  private readonly _sctp: HandlerSctpParameters | undefined;
  private readonly _signalingTimeout: number;
  private readonly _handler: HandlerInterface;
  private _appData: TransportAppData;
  private readonly _observer = new EnhancedEventEmitter<TransportObserverEvents>();
  private _closed = false;
  private _connectionState: ConnectionState = 'new';
  /** Every producer created and not yet closed (not those whose producedata is unanswered). */
  private readonly _producers = new Set<DataProducer>();
  /** Every consumer created and not yet closed. */
  private readonly _consumers = new Set<DataConsumer>();
  private readonly _pendingSignals = new Set<PendingSignal>();
  /** Set by closeGracefully(): no new producer or consumer, close() follows. */
  private _gracefulClose: Promise<boolean> | undefined;
  private _queue: Promise<unknown> = Promise.resolve();

  /**
   * Not for apps: use `device.createSendTransport()` or `device.createRecvTransport()` (as in
   * mediasoup-client, the constructor keeps its signature in the published types, so that
   * `new Transport()` stays a type error).
   */
  constructor(
    options: TransportOptions<TransportAppData>,
    handlerFactory: HandlerFactory,
    direction: TransportDirection = 'send',
  ) {
    super();
    this._direction = direction;
    if (!isPlainObject(options)) {
      const method = direction === 'send' ? 'createSendTransport' : 'createRecvTransport';
      throw new TypeError(`${method}() options must be a plain object`);
    }
    if (typeof options.id !== 'string' || options.id.length === 0) {
      throw new TypeError('id must be a non-empty string');
    }
    this._id = options.id;
    const iceParameters = validateIceParameters(options.iceParameters);
    const iceCandidates = validateIceCandidates(options.iceCandidates);
    const dtlsParameters = validateDtlsParameters(options.dtlsParameters);
    const sctp = validateSctpParameters(options.sctpParameters);
    const iceServers = validateIceServers(options.iceServers);
    const iceTransportPolicy = validateIceTransportPolicy(options.iceTransportPolicy);
    this._appData = validateAppData(options.appData) as TransportAppData;
    this._signalingTimeout = validateTimeout(
      options.signalingTimeout,
      'signalingTimeout',
      DEFAULT_SIGNALING_TIMEOUT_MS,
    );
    this._sctp = sctp && {
      port: sctp.port,
      maxMessageSize: sctp.maxMessageSize,
      maxStreams: Math.min(SCTP_NUM_STREAMS.OS, sctp.maxStreams ?? SCTP_NUM_STREAMS.OS),
    };
    this._handler = handlerFactory();
    this._handler.run({
      direction,
      id: this._id,
      iceParameters,
      iceCandidates,
      dtlsParameters,
      sctpParameters: this._sctp && { ...this._sctp },
      iceServers,
      iceTransportPolicy,
    });
    this._handler.on('@connect', (parameters, callback, errback) => {
      this.signal<undefined>('connect', parameters, () => undefined).then(callback, errback);
    });
    this._handler.on('@connectionstatechange', (state) => {
      this.handleConnectionState(state);
    });
    logger.debug(
      'constructor() [id:%s, direction:%s, handler:%s]',
      this._id,
      direction,
      this._handler.name,
    );
  }

  get id(): string {
    return this._id;
  }

  get closed(): boolean {
    return this._closed;
  }

  get direction(): TransportDirection {
    return this._direction;
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

  /** The handler behind this transport (`device.handlerName` names its kind). */
  get handler(): HandlerInterface {
    return this._handler;
  }

  /**
   * Closes the transport and every DataProducer and DataConsumer on it (each emits
   * `transportclose`).
   */
  close(): void {
    if (this._closed) return;
    logger.debug('close() [id:%s]', this._id);
    this._closed = true;
    this._connectionState = 'closed';
    this.rejectPendingSignals('transport closed');
    for (const producer of [...this._producers]) producer.transportClosed();
    this._producers.clear();
    for (const consumer of [...this._consumers]) consumer.transportClosed();
    this._consumers.clear();
    this._handler.close();
    this._observer.safeEmit('close');
  }

  /**
   * Closes every DataProducer of the transport with `closeGracefully()` (all at once, each
   * within `timeout` ms), then the transport as `close()` does, and resolves with true when the
   * router confirmed every producer's messages. Meanwhile `produceData()` and `consumeData()`
   * reject with InvalidStateError. The returned promise never rejects but with TypeError for
   * bad options; a second call returns the first call's promise, and a call on a closed
   * transport resolves with false.
   */
  closeGracefully(options: CloseGracefullyOptions = {}): Promise<boolean> {
    // Validated here, so that bad options throw even with no producer.
    if (!isPlainObject(options)) {
      throw new TypeError('closeGracefully() options must be a plain object');
    }
    validateTimeout(options.timeout, 'timeout', 0);
    if (this._gracefulClose) return this._gracefulClose;
    if (this._closed) return Promise.resolve(false);
    logger.debug('closeGracefully() [id:%s]', this._id);
    const producers = [...this._producers];
    this._gracefulClose = Promise.all(
      producers.map((producer) => producer.closeGracefully({ ...options })),
    ).then((confirmed) => {
      this.close();
      return confirmed.every(Boolean);
    });
    return this._gracefulClose;
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
    if (this._gracefulClose) throw new InvalidStateError('transport is closing');
    if (this._direction !== 'send') {
      throw new UnsupportedError('produceData() needs a send transport: this is a recv transport');
    }
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

  /**
   * Creates a DataConsumer on the stream the router's DataConsumer sends on. The first call
   * emits `connect`. Calls are serialized, with each other and with `produceData()`.
   */
  async consumeData<DataConsumerAppData extends AppData = AppData>(
    options: DataConsumerOptions<DataConsumerAppData>,
  ): Promise<DataConsumer<DataConsumerAppData>> {
    logger.debug('consumeData() [id:%s]', this._id);
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this._gracefulClose) throw new InvalidStateError('transport is closing');
    if (this._direction !== 'recv') {
      throw new UnsupportedError('consumeData() needs a recv transport: this is a send transport');
    }
    this.assertNotFailed();
    if (!this._sctp) {
      throw new UnsupportedError('SCTP is not enabled by the remote transport (no sctpParameters)');
    }
    if (this.listenerCount('connect') === 0 && this._connectionState === 'new') {
      throw new TypeError('no "connect" listener set on this transport');
    }
    const settings = validateConsumeDataOptions(options, this._sctp.maxStreams);
    const run = this._queue.then(() => this.createDataConsumer(settings));
    this._queue = run.catch(() => undefined);
    return run as Promise<DataConsumer<DataConsumerAppData>>;
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

  /**
   * Replaces the ICE servers. node-datachannel's handler takes them only before the transport
   * starts connecting.
   */
  async updateIceServers(options: { iceServers: IceServer[] }): Promise<void> {
    logger.debug('updateIceServers() [id:%s]', this._id);
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (!isPlainObject(options) || !Array.isArray(options.iceServers)) {
      throw new TypeError('updateIceServers() takes { iceServers: RTCIceServer[] }');
    }
    await this._handler.updateIceServers(validateIceServers(options.iceServers));
  }

  /**
   * A Map like an RTCStatsReport: the transport, its candidate pair and each DataProducer or
   * DataConsumer.
   */
  async getStats(): Promise<Map<string, TransportStat>> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    const stats = await this._handler.getTransportStats();
    const report = new Map<string, TransportStat>();
    const timestamp = Date.now();
    const pair = stats.selectedCandidatePair;
    report.set('T01', {
      id: 'T01',
      type: 'transport',
      timestamp,
      bytesSent: stats.bytesSent,
      bytesReceived: stats.bytesReceived,
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
    for (const consumer of this._consumers) {
      const streamId = consumer.sctpStreamParameters.streamId;
      report.set(`D${streamId}`, {
        id: `D${streamId}`,
        type: 'data-channel',
        timestamp,
        dataConsumerId: consumer.id,
        dataProducerId: consumer.dataProducerId,
        label: consumer.label,
        protocol: consumer.protocol,
        dataChannelIdentifier: streamId,
        state: consumer.readyState,
        ...consumer.stats,
      });
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
    sctp: HandlerSctpParameters,
  ): Promise<DataProducer> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    if (this._gracefulClose) throw new InvalidStateError('transport is closing');
    this.assertNotFailed();
    // Takes a stream id and, the first time, connects (the handler emits '@connect').
    const { dataChannel, sctpStreamParameters } = await this._handler.sendDataChannel({
      ordered: settings.ordered,
      maxPacketLifeTime: settings.maxPacketLifeTime,
      maxRetransmits: settings.maxRetransmits,
      label: settings.label,
      protocol: settings.protocol,
    });
    let producer: DataProducer | undefined;
    // The native close callback can run before the producer exists: `dataChannel.closed`
    // then tells.
    dataChannel.onclose = (byStreamReset) => {
      producer?.channelClosed(byStreamReset);
    };
    try {
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
      // Only now, when the router has its DataProducer on this stream (so it has closed any
      // earlier one and sent that stream's reset), may a reused id get a channel: a reset
      // still in flight would close the new one.
      producer = this.adoptChannel(
        dataChannel,
        this._producers,
        (channel, onShutDown) =>
          new DataProducer({
            id,
            channel,
            sctpStreamParameters,
            label: settings.label,
            protocol: settings.protocol,
            appData: settings.appData,
            maxMessageSize: sctp.maxMessageSize,
            maxBufferedAmount: settings.maxBufferedAmount,
            onShutDown,
            resetOutgoing: () => {
              dataChannel.resetOutgoing();
            },
          }),
      );
    } catch (error) {
      dataChannel.release();
      throw error;
    }
    this._observer.safeEmit('newdataproducer', producer);
    return producer;
  }

  private async createDataConsumer(settings: ConsumeDataSettings): Promise<DataConsumer> {
    if (this._closed) throw new InvalidStateError('transport is closed');
    // Takes the router's stream id, makes its channel and, the first time, connects (the
    // handler emits '@connect').
    const { dataChannel } = await this._handler.receiveDataChannel({
      sctpStreamParameters: { ...settings.sctpStreamParameters },
      label: settings.label,
      protocol: settings.protocol,
    });
    let consumer: DataConsumer | undefined;
    dataChannel.onclose = () => {
      consumer?.channelClosed();
    };
    try {
      this.assertNotClosed();
      consumer = this.adoptChannel(
        dataChannel,
        this._consumers,
        (channel, onShutDown) =>
          new DataConsumer({
            id: settings.id,
            dataProducerId: settings.dataProducerId,
            channel,
            sctpStreamParameters: settings.sctpStreamParameters,
            label: settings.label,
            protocol: settings.protocol,
            appData: settings.appData,
            onShutDown,
          }),
      );
    } catch (error) {
      dataChannel.release();
      throw error;
    }
    this._observer.safeEmit('newdataconsumer', consumer);
    return consumer;
  }

  /**
   * Makes the DataProducer or DataConsumer of a stream once the router has its own on it:
   * from then on the app must get one to close, so produceData()/consumeData() resolve
   * whatever happened meanwhile and the endpoint reports it (after the caller's await has
   * returned, so that the app's listeners see it). A doomed endpoint gets no channel: a
   * failed peer takes no new one, and a channel closed early is destroyed natively (its
   * release() closes it). Closing the endpoint forgets it and gives the stream back.
   */
  private adoptChannel<Endpoint extends { channelClosed(): void; transportFailed(): void }>(
    dataChannel: HandlerDataChannel,
    endpoints: Set<Endpoint>,
    make: (channel: NativeChannel | undefined, onShutDown: () => void) => Endpoint,
  ): Endpoint {
    const failed = this._connectionState === 'failed';
    const doomed = failed || dataChannel.closed;
    let endpoint: Endpoint | undefined = undefined;
    const made = make(doomed ? undefined : dataChannel.create(), () => {
      if (endpoint) endpoints.delete(endpoint);
      dataChannel.release();
    });
    endpoint = made;
    endpoints.add(made);
    if (doomed) {
      setImmediate(() => {
        if (failed) made.transportFailed();
        else made.channelClosed();
      });
    }
    return made;
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

  private handleConnectionState(state: ConnectionState): void {
    if (this._closed || state === this._connectionState) return;
    logger.debug('connection state [id:%s]: %s', this._id, state);
    this._connectionState = state;
    this.safeEmit('connectionstatechange', state);
    if (state === 'failed') {
      for (const producer of [...this._producers]) producer.transportFailed();
      for (const consumer of [...this._consumers]) consumer.transportFailed();
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
}

import {
  DataConsumer,
  type DataConsumerBinaryType,
  type DataConsumerOptions,
} from './DataConsumer.js';
import {
  DataProducer,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  type CloseGracefullyOptions,
  type DataProducerOptions,
} from './DataProducer.js';
import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { InvalidStateError, UnsupportedError } from './errors.js';
import type {
  HandlerDataChannel,
  HandlerFactory,
  HandlerInterface,
  HandlerSctpParameters,
  NativeChannel,
} from './handlers/HandlerInterface.js';
import type { TransportStat } from './handlers/statsReport.js';
import { Logger } from './Logger.js';
import { SerialQueue } from './SerialQueue.js';
import { TransportSignaling } from './TransportSignaling.js';
import type {
  AppData,
  ConnectionState,
  DtlsParameters,
  IceCandidate,
  IceGatheringState,
  IceParameters,
  IceServer,
  IceTransportPolicy,
  RemoteDtlsParameters,
  SctpParameters,
  SctpStreamParameters,
} from './types.js';
import {
  isPlainObject,
  validateAdditionalSettings,
  validateAppData,
  validateConsumeDataOptions,
  validateDtlsParameters,
  validateIceCandidates,
  validateIceParameters,
  validateIceServers,
  validateIceTransportPolicy,
  validateProduceDataOptions,
  validateProprietaryConstraints,
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
 * The states in which a transport refuses a call, each with its one message (InvalidStateError),
 * whether the call finds it at once, when its turn in the queue comes or while it waits.
 */
const REFUSALS = {
  closed: 'transport is closed',
  closing: 'transport is closing',
  failed: 'transport connection failed: close it and create a new one',
} as const;

type Refusal = keyof typeof REFUSALS;

/**
 * What `device.createSendTransport()` and `device.createRecvTransport()` take: the router's
 * WebRtcTransport parameters.
 */
export interface TransportOptions<TransportAppData extends AppData = AppData> {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  /** The router's: any fingerprint algorithm is taken, and a sha-256 one is required. */
  dtlsParameters: RemoteDtlsParameters;
  sctpParameters?: SctpParameters;
  iceServers?: IceServer[];
  iceTransportPolicy?: IceTransportPolicy;
  /**
   * As in mediasoup-client, a partial RTCConfiguration: its `iceServers` and
   * `iceTransportPolicy` are used (they must agree with the options of the same name when
   * both are given); its other members are checked and ignored (docs/api.md says why).
   */
  additionalSettings?: object;
  /** As in older mediasoup-client: Chrome's legacy constraints. Checked, then ignored. */
  proprietaryConstraints?: object;
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
  icegatheringstatechange: [IceGatheringState];
};

export type TransportObserverEvents = {
  close: [];
  newdataproducer: [DataProducer];
  newdataconsumer: [DataConsumer];
};

export type TransportDirection = 'send' | 'recv';

export type { TransportStat };

export class Transport<
  TransportAppData extends AppData = AppData,
> extends EnhancedEventEmitter<TransportEvents> {
  private readonly _id: string;
  private readonly _direction: TransportDirection;
  private readonly _sctp: HandlerSctpParameters | undefined;
  private readonly _signaling: TransportSignaling;
  private readonly _handler: HandlerInterface;
  private _appData: TransportAppData;
  private readonly _observer = new EnhancedEventEmitter<TransportObserverEvents>();
  private _closed = false;
  private _connectionState: ConnectionState = 'new';
  private _iceGatheringState: IceGatheringState = 'new';
  /**
   * What waits for the first `connectionstatechange` to 'connected': the `open` of each
   * DataProducer and DataConsumer, so that an app sees the transport connected first, as
   * in a browser. Undefined once it has been emitted.
   */
  private _untilConnected: (() => void)[] | undefined = [];
  /** Every producer created and not yet closed (not those whose producedata is unanswered). */
  private readonly _producers = new Set<DataProducer>();
  /** Every consumer created and not yet closed. */
  private readonly _consumers = new Set<DataConsumer>();
  /** Set by closeGracefully(): no new producer or consumer, close() follows. */
  private _gracefulClose: Promise<boolean> | undefined;
  /** produceData() and consumeData(), one at a time. */
  private readonly _queue = new SerialQueue();

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
    const settings = validateAdditionalSettings(options.additionalSettings);
    validateProprietaryConstraints(options.proprietaryConstraints);
    const iceServers = agreeing(
      'iceServers',
      options.iceServers === undefined ? undefined : validateIceServers(options.iceServers),
      settings.iceServers,
      [],
    );
    const iceTransportPolicy = agreeing(
      'iceTransportPolicy',
      options.iceTransportPolicy === undefined
        ? undefined
        : validateIceTransportPolicy(options.iceTransportPolicy),
      settings.iceTransportPolicy,
      'all',
    );
    this._appData = validateAppData(options.appData) as TransportAppData;
    this._signaling = new TransportSignaling(
      validateTimeout(options.signalingTimeout, 'signalingTimeout', DEFAULT_SIGNALING_TIMEOUT_MS),
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
      this._signaling
        .request(
          'connect',
          (answer, fail) => this.safeEmit('connect', parameters, answer, fail),
          () => undefined,
        )
        .then(callback, errback);
    });
    this._handler.on('@connectionstatechange', (state) => {
      this.handleConnectionState(state);
    });
    this._handler.on('@icegatheringstatechange', (state) => {
      this.handleIceGatheringState(state);
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

  /** Where the gathering of our local ICE candidates is: it starts with the first channel. */
  get iceGatheringState(): IceGatheringState {
    return this._iceGatheringState;
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
    this._untilConnected = undefined;
    this._signaling.rejectPending(() => refusal('closed'));
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
    const sctp = this.assertCanCreate('produceData');
    const settings = validateProduceDataOptions(options, DEFAULT_MAX_BUFFERED_AMOUNT);
    return this._queue.push(() => this.createDataProducer(settings, sctp)) as Promise<
      DataProducer<DataProducerAppData>
    >;
  }

  /**
   * Creates a DataConsumer on the stream the router's DataConsumer sends on. The first call
   * emits `connect`. Calls are serialized, with each other and with `produceData()`.
   */
  async consumeData<
    DataConsumerAppData extends AppData = AppData,
    BinaryType extends DataConsumerBinaryType = DataConsumerBinaryType,
  >(
    options: DataConsumerOptions<DataConsumerAppData, BinaryType>,
  ): Promise<DataConsumer<DataConsumerAppData, BinaryType>> {
    logger.debug('consumeData() [id:%s]', this._id);
    const sctp = this.assertCanCreate('consumeData');
    const settings = validateConsumeDataOptions(options, sctp.maxStreams);
    return this._queue.push(() => this.createDataConsumer(settings)) as Promise<
      DataConsumer<DataConsumerAppData, BinaryType>
    >;
  }

  /** Not supported: libdatachannel has no ICE restart. */
  // eslint-disable-next-line @typescript-eslint/require-await
  async restartIce(_options?: { iceParameters: IceParameters }): Promise<void> {
    this.refuse('closed');
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
    this.refuse('closed');
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
    this.refuse('closed');
    return this._handler.getStats({
      connectionState: this._connectionState,
      dataProducers: this._producers,
      dataConsumers: this._consumers,
    });
  }

  private async createDataProducer(
    settings: ProduceDataSettings,
    sctp: HandlerSctpParameters,
  ): Promise<DataProducer> {
    this.refuse('closed', 'closing', 'failed');
    // Takes a stream id and, the first time, connects (the handler emits '@connect').
    const { dataChannel, sctpStreamParameters } = await this.fromHandler(
      this._handler.sendDataChannel({
        ordered: settings.ordered,
        maxPacketLifeTime: settings.maxPacketLifeTime,
        maxRetransmits: settings.maxRetransmits,
        label: settings.label,
        protocol: settings.protocol,
      }),
    );
    let producer: DataProducer | undefined;
    // The native close callback can run before the producer exists: `dataChannel.closed`
    // then tells.
    dataChannel.onclose = (byStreamReset) => {
      producer?.channelClosed(byStreamReset);
    };
    try {
      this.refuse('failed');
      const parameters: ProduceDataParameters = {
        sctpStreamParameters: { ...sctpStreamParameters },
        label: settings.label,
        protocol: settings.protocol,
        appData: settings.appData,
      };
      const { id } = await this._signaling.request(
        'producedata',
        (answer, fail) => this.safeEmit('producedata', parameters, answer, fail),
        (result) => {
          if (!isPlainObject(result) || typeof result.id !== 'string' || result.id.length === 0) {
            throw new TypeError('the producedata callback must be called with { id: string }');
          }
          return { id: result.id };
        },
      );
      this.refuse('closed');
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
            whenConnected: this.whenConnected,
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
    this.refuse('closed');
    // Takes the router's stream id, makes its channel and, the first time, connects (the
    // handler emits '@connect').
    const { dataChannel } = await this.fromHandler(
      this._handler.receiveDataChannel({
        sctpStreamParameters: { ...settings.sctpStreamParameters },
        label: settings.label,
        protocol: settings.protocol,
      }),
    );
    let consumer: DataConsumer | undefined;
    dataChannel.onclose = () => {
      consumer?.channelClosed();
    };
    try {
      this.refuse('closed');
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
            binaryType: settings.binaryType,
            whenConnected: this.whenConnected,
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
   * Runs `fn` once the transport has emitted `connectionstatechange` to 'connected' (at once
   * if it has). libdatachannel reports the peer connected before it opens its channels, but
   * each reaches this thread through a callback of its own, in either order.
   */
  private readonly whenConnected = (fn: () => void): void => {
    if (this._untilConnected) this._untilConnected.push(fn);
    else if (!this._closed) fn();
  };

  private handleIceGatheringState(state: IceGatheringState): void {
    if (this._closed || state === this._iceGatheringState) return;
    logger.debug('ICE gathering state [id:%s]: %s', this._id, state);
    this._iceGatheringState = state;
    this.safeEmit('icegatheringstatechange', state);
  }

  private handleConnectionState(state: ConnectionState): void {
    if (this._closed || state === this._connectionState) return;
    logger.debug('connection state [id:%s]: %s', this._id, state);
    this._connectionState = state;
    this.safeEmit('connectionstatechange', state);
    if (state === 'connected' && this._untilConnected) {
      const waiting = this._untilConnected;
      this._untilConnected = undefined;
      for (const fn of waiting) fn();
    }
    if (state === 'failed') {
      for (const producer of [...this._producers]) producer.transportFailed();
      for (const consumer of [...this._consumers]) consumer.transportFailed();
      // A pending `producedata` is left to its answer: the app may be creating the router's
      // DataProducer right now, and it must get a DataProducer to close (which then fails).
      this._signaling.rejectPending(() => refusal('failed'), 'connect');
    }
  }

  /**
   * The guard chain of produceData() and consumeData(), in mediasoup-client's order: state,
   * capability, then the app's listeners (the arguments are checked after it). Returns the
   * router's SCTP parameters.
   */
  private assertCanCreate(method: 'produceData' | 'consumeData'): HandlerSctpParameters {
    this.refuse('closed', 'closing');
    const needed: TransportDirection = method === 'produceData' ? 'send' : 'recv';
    if (this._direction !== needed) {
      throw new UnsupportedError(
        `${method}() needs a ${needed} transport: this is a ${this._direction} transport`,
      );
    }
    this.refuse('failed');
    if (!this._sctp) {
      throw new UnsupportedError('SCTP is not enabled by the remote transport (no sctpParameters)');
    }
    if (this.listenerCount('connect') === 0 && this._connectionState === 'new') {
      throw new TypeError('no "connect" listener set on this transport');
    }
    if (method === 'produceData' && this.listenerCount('producedata') === 0) {
      throw new TypeError('no "producedata" listener set on this transport');
    }
    return this._sctp;
  }

  /** Throws InvalidStateError for the first of `states` the transport is in. */
  private refuse(...states: Refusal[]): void {
    for (const state of states) {
      const holds =
        state === 'closed'
          ? this._closed
          : state === 'closing'
            ? this._gracefulClose !== undefined
            : this._connectionState === 'failed';
      if (holds) throw refusal(state);
    }
  }

  /**
   * Awaits a handler call. When the transport was closed meanwhile, the call rejects with the
   * transport's own message for that, whatever the handler said.
   */
  private async fromHandler<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      this.refuse('closed');
      throw error;
    }
  }
}

function refusal(state: Refusal): InvalidStateError {
  return new InvalidStateError(REFUSALS[state]);
}

/**
 * An option that can be given directly or in `additionalSettings`: both are fine when they
 * agree, and contradictory otherwise.
 */
function agreeing<T>(
  name: string,
  direct: T | undefined,
  inSettings: T | undefined,
  fallback: T,
): T {
  if (direct !== undefined && inSettings !== undefined) {
    if (JSON.stringify(direct) !== JSON.stringify(inSettings)) {
      throw new TypeError(
        `${name} and additionalSettings.${name} contradict each other: give it once, or the same in both`,
      );
    }
  }
  return direct ?? inSettings ?? fallback;
}

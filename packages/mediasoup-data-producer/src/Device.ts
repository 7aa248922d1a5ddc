import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { InvalidStateError, UnsupportedError } from './errors.js';
import { FakeHandler } from './handlers/FakeHandler.js';
import type { HandlerFactory, HandlerInterface } from './handlers/HandlerInterface.js';
import { NodeDataChannelHandler } from './handlers/NodeDataChannelHandler.js';
import { Logger } from './Logger.js';
import { SCTP_NUM_STREAMS, Transport, type TransportOptions } from './Transport.js';
import type { AppData, RtpCapabilities, SctpCapabilities } from './types.js';
import { isPlainObject } from './validation.js';

const logger = new Logger('Device');

export interface DeviceLoadOptions {
  /**
   * The router's `rtpCapabilities`. Only checked to be a plain object: this device sends data
   * only. Typed `object` so that mediasoup's own `RtpCapabilities` interface fits as it is.
   */
  routerRtpCapabilities: object;
  /** As in mediasoup-client. Checked, then ignored: this device has no codec to order. */
  preferLocalCodecsOrder?: boolean;
}

/** The handlers `new Device({ handlerName })` knows, by the names their `name` reports. */
const HANDLER_FACTORIES: Record<string, () => HandlerFactory> = {
  'node-datachannel': () => NodeDataChannelHandler.createFactory(),
  FakeHandler: () => FakeHandler.createFactory(),
};

/** What `new Device()` takes. */
export interface DeviceOptions {
  /**
   * Makes the handler of each transport. Default: node-datachannel's. `FakeHandler.createFactory()`
   * gives one that needs no network, for unit tests.
   */
  handlerFactory?: HandlerFactory;
  /**
   * As in mediasoup-client, a handler by its name: 'node-datachannel' (the default) or
   * 'FakeHandler' (with its default options). A name of mediasoup-client's own handlers
   * ('Chrome111', ...) is an UnsupportedError: this library drives none of them. Not with
   * `handlerFactory`.
   */
  handlerName?: string;
}

export type DeviceObserverEvents = {
  newtransport: [Transport];
};

/** The entry point, as in mediasoup-client: load it with the router's capabilities, then create transports. */
export class Device {
  private readonly _handlerFactory: HandlerFactory;
  private readonly _handlerName: string;
  private _loaded = false;
  private readonly _observer = new EnhancedEventEmitter<DeviceObserverEvents>();

  constructor(options: DeviceOptions = {}) {
    logger.debug('constructor()');
    if (!isPlainObject(options)) throw new TypeError('new Device() options must be a plain object');
    const handlerFactory: unknown =
      options.handlerFactory === undefined
        ? factoryNamed(options.handlerName)
        : options.handlerFactory;
    if (options.handlerFactory !== undefined && options.handlerName !== undefined) {
      throw new TypeError('new Device() takes handlerName or handlerFactory, not both');
    }
    if (typeof handlerFactory !== 'function') {
      throw new TypeError('handlerFactory must be a function that returns a handler');
    }
    // As mediasoup-client did: one handler, made and closed at once, tells its name. It
    // creates no native resource before it is run.
    const handler = (handlerFactory as () => unknown)();
    if (!isHandler(handler)) {
      throw new TypeError(
        'handlerFactory must return a handler (a HandlerInterface: name, run(), sendDataChannel(), receiveDataChannel(), close(), ...)',
      );
    }
    handler.close();
    this._handlerFactory = handlerFactory as HandlerFactory;
    this._handlerName = handler.name;
  }

  /**
   * As mediasoup-client's `Device.factory()`, which detects the browser's handler
   * asynchronously: here the same as `new Device(options)`, resolved.
   */
  // eslint-disable-next-line @typescript-eslint/require-await
  static async factory(options: DeviceOptions = {}): Promise<Device> {
    return new Device(options);
  }

  /** The name of the handler behind this device's transports: 'node-datachannel' by default. */
  get handlerName(): string {
    return this._handlerName;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  /**
   * A data-only device's RTP capabilities, `{ codecs: [], headerExtensions: [] }`: what an app
   * sends in its `join` (mediasoup-demo does). mediasoup's `router.canConsume()` takes them
   * and answers false: this device consumes no media.
   */
  get rtpCapabilities(): RtpCapabilities {
    if (!this._loaded) throw new InvalidStateError('not loaded');
    return { codecs: [], headerExtensions: [] };
  }

  /**
   * What the router's `createWebRtcTransport({ numSctpStreams })` takes up to mediasoup 3.26
   * (3.27 removed the option: pass nothing there).
   */
  get sctpCapabilities(): SctpCapabilities {
    if (!this._loaded) throw new InvalidStateError('not loaded');
    return { numStreams: { ...SCTP_NUM_STREAMS } };
  }

  get observer(): EnhancedEventEmitter<DeviceObserverEvents> {
    return this._observer;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async load(options: DeviceLoadOptions): Promise<void> {
    logger.debug('load()');
    if (this._loaded) throw new InvalidStateError('already loaded');
    if (!isPlainObject(options)) throw new TypeError('load() takes { routerRtpCapabilities }');
    if (!isPlainObject(options.routerRtpCapabilities)) {
      throw new TypeError("routerRtpCapabilities must be an object (the router's rtpCapabilities)");
    }
    if (
      options.preferLocalCodecsOrder !== undefined &&
      typeof options.preferLocalCodecsOrder !== 'boolean'
    ) {
      throw new TypeError('preferLocalCodecsOrder must be a boolean');
    }
    this._loaded = true;
  }

  /** Sending data needs no RTP: every kind is unsupported. */
  canProduce(kind: 'audio' | 'video'): boolean {
    if (!this._loaded) throw new InvalidStateError('not loaded');
    if ((kind as unknown) !== 'audio' && (kind as unknown) !== 'video') {
      throw new TypeError(`invalid kind "${kind as string}": expected 'audio' or 'video'`);
    }
    return false;
  }

  createSendTransport<TransportAppData extends AppData = AppData>(
    options: TransportOptions<TransportAppData>,
  ): Transport<TransportAppData> {
    logger.debug('createSendTransport()');
    if (!this._loaded) throw new InvalidStateError('not loaded');
    const transport = new Transport<TransportAppData>(options, this._handlerFactory);
    this._observer.safeEmit('newtransport', transport);
    return transport;
  }

  /**
   * A transport that receives: `transport.consumeData()` for each of the router's
   * DataConsumers on it. Same options and checks as `createSendTransport()`.
   */
  createRecvTransport<TransportAppData extends AppData = AppData>(
    options: TransportOptions<TransportAppData>,
  ): Transport<TransportAppData> {
    logger.debug('createRecvTransport()');
    if (!this._loaded) throw new InvalidStateError('not loaded');
    const transport = new Transport<TransportAppData>(options, this._handlerFactory, 'recv');
    this._observer.safeEmit('newtransport', transport);
    return transport;
  }
}

/** The factory of the handler named `name`; node-datachannel's when no name is given. */
function factoryNamed(name: unknown): HandlerFactory {
  if (name === undefined) return NodeDataChannelHandler.createFactory();
  if (typeof name !== 'string') throw new TypeError('handlerName must be a string');
  const make = Object.hasOwn(HANDLER_FACTORIES, name) ? HANDLER_FACTORIES[name] : undefined;
  if (!make) {
    throw new UnsupportedError(
      `handlerName '${name}' names no handler of this library: it has ` +
        `${Object.keys(HANDLER_FACTORIES)
          .map((known) => `'${known}'`)
          .join(' and ')} (mediasoup-client's browser handlers do not run in Node.js)`,
    );
  }
  return make();
}

/** Enough of a HandlerInterface to be taken for one: what a wrong factory most likely lacks. */
function isHandler(value: unknown): value is HandlerInterface {
  if (typeof value !== 'object' || value === null) return false;
  const handler = value as Record<string, unknown>;
  return (
    typeof handler.name === 'string' &&
    [
      'run',
      'sendDataChannel',
      'receiveDataChannel',
      'getTransportStats',
      'updateIceServers',
      'close',
      'on',
    ].every((method) => typeof handler[method] === 'function')
  );
}

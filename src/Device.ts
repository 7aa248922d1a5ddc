import { EnhancedEventEmitter } from './EnhancedEventEmitter.js';
import { InvalidStateError } from './errors.js';
import { Logger } from './Logger.js';
import { SCTP_NUM_STREAMS, Transport, type TransportOptions } from './Transport.js';
import type { AppData, SctpCapabilities } from './types.js';
import { isPlainObject } from './validation.js';

const logger = new Logger('Device');

export interface DeviceLoadOptions {
  /** The router's `rtpCapabilities`. Only checked to be an object: this device sends data only. */
  routerRtpCapabilities: Record<string, unknown>;
}

export type DeviceObserverEvents = {
  newtransport: [Transport];
};

/** The entry point, as in mediasoup-client: load it with the router's capabilities, then create transports. */
export class Device {
  private _loaded = false;
  private readonly _observer = new EnhancedEventEmitter<DeviceObserverEvents>();

  constructor() {
    logger.debug('constructor()');
  }

  /** Always 'node-datachannel': the handler behind this device. */
  get handlerName(): string {
    return 'node-datachannel';
  }

  get loaded(): boolean {
    return this._loaded;
  }

  /** What `createWebRtcTransport({ numSctpStreams })` on the router wants. */
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
    const transport = new Transport<TransportAppData>(options);
    this._observer.safeEmit('newtransport', transport);
    return transport;
  }
}

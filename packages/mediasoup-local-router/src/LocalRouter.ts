import { EventEmitter } from 'eventemitter3';

import {
  checkMediasoupPackage,
  describeSource,
  locateMediasoup,
  mediasoupCacheRoot,
  requireMediasoup,
  versionAtLeast,
  type MediasoupLocation,
} from './loadMediasoup.js';
import type {
  MsDataConsumer,
  MsDataProducer,
  MsDirectTransport,
  MsModule,
  MsRouter,
  MsTransportCreated,
  MsWebRtcTransport,
  MsWorker,
} from './mediasoupTypes.js';
import {
  MessageLog,
  recordingBound,
  type MessageRecording,
  type ReceivedMessage,
} from './MessageLog.js';
import { checkWorkerPairing, workerBinary } from './workerPairing.js';

// mediasoup 3.20 replaced usrsctp with its own SCTP stack: the transport options
// numSctpStreams and maxSctpMessageSize gave way to maxSendMessageSize and
// maxReceiveMessageSize (OS and MIS are always 65535), and DirectTransport's maxMessageSize
// to the same pair.
const OWN_SCTP_STACK_SINCE = '3.20.0';
// mediasoup 3.29 added SCTP zero checksum (RFC 9653): its WebRtcTransports announce that they
// accept packets without a CRC32c over DTLS unless told otherwise.
const ZERO_CHECKSUM_SINCE = '3.29.0';
const ZERO_CHECKSUM_MODES = ['sctp-over-dtls', 'trusted-network', 'none'] as const;

/** mediasoup's `sctpZeroChecksum` transport option (mediasoup >= 3.29). */
export type SctpZeroChecksum = (typeof ZERO_CHECKSUM_MODES)[number];

export interface LocalRouterOptions {
  /** mediasoup worker log level. Default 'warn'. */
  logLevel?: 'debug' | 'warn' | 'error' | 'none';
  /**
   * Which received messages to keep in `messages`: by default the most recent ones within
   * DEFAULT_MESSAGE_RECORDING (10000 messages, 64 MiB), so that a long-running router does
   * not grow without bound; `true` keeps every one (tests), `false` none (the `message`
   * event still fires), or a bound of your own.
   */
  recordMessages?: boolean | MessageRecording;
  /**
   * Where to find the mediasoup package (MEDIASOUP_PATH, MEDIASOUP_VERSION,
   * MEDIASOUP_DATA_PRODUCER_CACHE). Default process.env. MEDIASOUP_WORKER_BIN is read from
   * process.env, as mediasoup itself does.
   */
  env?: NodeJS.ProcessEnv;
  /**
   * mediasoup workers to start, each with its own router and DirectTransport. A worker is
   * one single-threaded process: past a few hundred busy transports it, not the clients, is
   * the limit. Transports go to the worker with the fewest; a DataProducer consumed on
   * another worker's transport is piped there first (`router.pipeToRouter()`). Default 1.
   */
  workers?: number;
}

export interface LocalTransportOptions {
  /** Also listen on TCP. Default false. */
  enableTcp?: boolean;
  /**
   * The router's SCTP message size limit in bytes (both directions). Default 262144
   * (mediasoup's own default). mediasoup >= 3.20: its maxReceiveMessageSize and
   * maxSendMessageSize.
   */
  maxSctpMessageSize?: number;
  /**
   * Streams the router offers. Default { OS: 1024, MIS: 1024 }. mediasoup <= 3.19 only:
   * from 3.20 the router always offers 65535 and this option throws TypeError.
   */
  numSctpStreams?: { OS: number; MIS: number };
  /**
   * The router's SCTP send buffer for this transport's DataConsumers, in bytes: what they
   * may have queued toward the client before mediasoup drops messages and emits
   * `sctpsendbufferfull`. Default: mediasoup's (262144 in 3.8.4, 2000000 in 3.27.1 and 3.32.2).
   */
  sctpSendBufferSize?: number;
  /**
   * Whether the router's SCTP accepts packets without a checksum (RFC 9653) and announces it
   * in its INIT/INIT-ACK: mediasoup's `sctpZeroChecksum`, whose default on a WebRtcTransport
   * is 'sctp-over-dtls' (the checksum is left out only when the client announces the same).
   * mediasoup >= 3.29 only: older versions have no such option and it throws TypeError.
   */
  sctpZeroChecksum?: SctpZeroChecksum;
}

/** What the router's DataProducer was created with: it is what the client sent in `producedata`. */
export interface ProduceDataParams {
  sctpStreamParameters: unknown;
  label?: string;
  protocol?: string;
  appData?: Record<string, unknown>;
}

/** A DataProducer on the router, as `dataProducers` lists it. */
export interface LocalDataProducerInfo {
  id: string;
  /** The client's transport it came through; undefined for the app's own (createDirectDataProducer()). */
  transportId: string | undefined;
  label: string;
  protocol: string;
  appData: Record<string, unknown>;
}

/**
 * The router's DataConsumer on a client's transport: what the client's
 * `transport.consumeData()` takes, as an app's signaling passes it on.
 */
export interface ConsumeDataParams {
  id: string;
  dataProducerId: string;
  sctpStreamParameters: Record<string, unknown> & { streamId: number };
  label: string;
  protocol: string;
  appData: Record<string, unknown>;
}

/** A DataProducer of the app's own Node process (on the router's DirectTransport). */
export interface LocalDirectDataProducer {
  readonly id: string;
  /** True once closed, by `close()` or with the router. */
  readonly closed: boolean;
  /**
   * Sends to every consumer: by default a string as PPID 51 (56 when empty), binary as 53
   * (57). The router drops what its SCTP send buffer for a consumer cannot take (that
   * consumer's `sctpsendbufferfull`): pace on its `getBufferedAmount()`.
   */
  send(message: string | Buffer, ppid?: number): void;
  /** Closes it: the router closes its DataConsumers, and the clients see their streams reset. */
  close(): void;
}

/** The router's DataConsumer on a client's transport, as `dataConsumer(id)` gives it. */
export interface LocalDataConsumer {
  readonly id: string;
  readonly dataProducerId: string;
  /** True once closed: by `close()`, with its DataProducer or with its transport. */
  readonly closed: boolean;
  /** Bytes the router's SCTP stack holds for this consumer, not yet sent. */
  getBufferedAmount(): Promise<number>;
  /** mediasoup's DataConsumer events; `sctpsendbufferfull` means a message was dropped. */
  on(
    event: 'dataproducerclose' | 'transportclose' | 'sctpsendbufferfull',
    listener: () => void,
  ): void;
  /** Closes it: the client sees its stream reset. */
  close(): void;
}

export interface LocalRouterEvents {
  message: [ReceivedMessage];
}

/** Which mediasoup a LocalRouter runs, and why that one (see locateMediasoup()). */
export interface MediasoupOrigin extends MediasoupLocation {
  /** The worker binary spawned, and whether MEDIASOUP_WORKER_BIN named it. */
  workerBin: string;
  workerFrom: 'MEDIASOUP_WORKER_BIN' | 'package';
}

/** One worker with its router and the DirectTransport that records and sends. */
interface Host {
  worker: MsWorker;
  router: MsRouter;
  direct: MsDirectTransport;
  transports: number;
  /** DataProducers of other hosts piped (or being piped) into this one's router. */
  piped: Map<string, Promise<void>>;
}

interface DataProducerEntry {
  producer: MsDataProducer;
  host: Host;
  /** The DirectTransport's consumer that records what a client sends; none for direct ones. */
  consumer: MsDataConsumer | undefined;
  transportId: string | undefined;
  appData: Record<string, unknown>;
}

interface DataConsumerEntry {
  consumer: MsDataConsumer;
  transportId: string;
}

interface TransportEntry {
  transport: MsWebRtcTransport;
  host: Host;
}

/**
 * A real mediasoup worker, router and DirectTransport on 127.0.0.1: the tests, the demo and
 * the benchmark send to it, and it reports every message that arrived with its PPID.
 */
export class LocalRouter extends EventEmitter<LocalRouterEvents> {
  /** The loaded mediasoup's `version`. */
  readonly mediasoupVersion: string;
  readonly mediasoupOrigin: Readonly<MediasoupOrigin>;
  private readonly transports = new Map<string, TransportEntry>();
  private readonly dataProducers = new Map<string, DataProducerEntry>();
  private readonly dataConsumers = new Map<string, DataConsumerEntry>();
  private closed = false;
  private readonly log: MessageLog;

  private constructor(
    private readonly hosts: Host[],
    recording: Required<MessageRecording> | undefined,
    mediasoup: MsModule,
    origin: MediasoupOrigin,
  ) {
    super();
    this.log = new MessageLog(recording);
    this.mediasoupVersion = mediasoup.version;
    this.mediasoupOrigin = Object.freeze(origin);
  }

  /**
   * Loads mediasoup (MEDIASOUP_PATH, MEDIASOUP_VERSION, the project's own, or the built-in
   * 3.8.4 from the set-up script's cache), checks that its worker binary is of the same
   * version, and starts a worker, a router and a DirectTransport.
   */
  static async start(options: LocalRouterOptions = {}): Promise<LocalRouter> {
    // Checked before anything starts.
    const recording = recordingBound(options.recordMessages);
    checkIntegerOption('workers', options.workers, 1, 64);
    const env = options.env ?? process.env;
    const location = locateMediasoup(env);
    const version = checkMediasoupPackage(location);
    // mediasoup reads MEDIASOUP_WORKER_BIN from process.env, whatever options.env says.
    const workerBin = workerBinary(location.dir, process.env);
    checkWorkerPairing(location.dir, version, workerBin, mediasoupCacheRoot(env));
    const mediasoup = requireMediasoup(location.dir);
    const origin: MediasoupOrigin = {
      ...location,
      workerBin: workerBin.path,
      workerFrom: workerBin.from,
    };
    const workers = options.workers ?? 1;
    const hosts: Host[] = [];
    try {
      for (let i = 0; i < workers; i++) {
        hosts.push(await startHost(mediasoup, workerBin.path, options.logLevel ?? 'warn'));
      }
    } catch (error) {
      for (const host of hosts) host.worker.close();
      throw error;
    }
    return new LocalRouter(hosts, recording, mediasoup, origin);
  }

  /**
   * Which mediasoup this is and why, in one line, e.g.
   * `mediasoup 3.27.1 (MEDIASOUP_VERSION=3.27.1) at <dir>`.
   */
  get mediasoupDescription(): string {
    const origin = this.mediasoupOrigin;
    const worker =
      origin.workerFrom === 'MEDIASOUP_WORKER_BIN'
        ? `, worker MEDIASOUP_WORKER_BIN=${origin.workerBin}`
        : '';
    return `mediasoup ${this.mediasoupVersion} (${describeSource(origin)}) at ${origin.dir}${worker}`;
  }

  /**
   * The recorded messages, oldest first: every one with `recordMessages: true`, the most
   * recent within the bound by default, none with `false`. A new array on every read.
   */
  get messages(): ReceivedMessage[] {
    return this.log.messages;
  }

  /** Recorded messages dropped so far, oldest first, to stay within the `recordMessages` bound. */
  get droppedMessages(): number {
    return this.log.droppedMessages;
  }

  get rtpCapabilities(): Record<string, unknown> {
    return this.firstHost.router.rtpCapabilities;
  }

  /** The first worker's process id. */
  get workerPid(): number {
    return this.firstHost.worker.pid;
  }

  /** Every worker's process id, in start order. */
  get workerPids(): number[] {
    return this.hosts.map((host) => host.worker.pid);
  }

  /** The process id of the worker that hosts a transport. */
  transportWorkerPid(transportId: string): number {
    return this.transport(transportId).host.worker.pid;
  }

  /** CPU seconds (user + system) the worker processes have used so far, together. */
  async workerCpuSeconds(): Promise<number> {
    const usages = await Promise.all(this.hosts.map((host) => host.worker.getResourceUsage()));
    return usages.reduce((sum, usage) => sum + (usage.ru_utime + usage.ru_stime) / 1000, 0);
  }

  /** Creates a WebRtcTransport with SCTP and returns what `createSendTransport()` takes. */
  async createWebRtcTransport(options: LocalTransportOptions = {}): Promise<MsTransportCreated> {
    const enableTcp = options.enableTcp ?? false;
    const maxMessageSize = options.maxSctpMessageSize ?? 262144;
    const { sctpSendBufferSize, sctpZeroChecksum } = options;
    checkIntegerOption('sctpSendBufferSize', sctpSendBufferSize, 1, 2 ** 31 - 1, ' (bytes)');
    if (sctpZeroChecksum !== undefined) {
      if (!(ZERO_CHECKSUM_MODES as readonly unknown[]).includes(sctpZeroChecksum)) {
        throw new TypeError(
          `sctpZeroChecksum must be one of ${ZERO_CHECKSUM_MODES.map((m) => `'${m}'`).join(', ')}, got ${sctpZeroChecksum}`,
        );
      }
      if (!versionAtLeast(this.mediasoupVersion, ZERO_CHECKSUM_SINCE)) {
        throw new TypeError(
          `sctpZeroChecksum needs mediasoup >= 3.29: mediasoup ${this.mediasoupVersion} always checksums SCTP packets`,
        );
      }
    }
    const common = {
      enableUdp: true,
      enableTcp,
      preferUdp: true,
      enableSctp: true,
      ...(sctpSendBufferSize !== undefined && { sctpSendBufferSize }),
      ...(sctpZeroChecksum !== undefined && { sctpZeroChecksum }),
    };
    let transportOptions: Record<string, unknown>;
    if (versionAtLeast(this.mediasoupVersion, OWN_SCTP_STACK_SINCE)) {
      if (options.numSctpStreams !== undefined) {
        throw new TypeError(
          `numSctpStreams needs mediasoup <= 3.19: mediasoup ${this.mediasoupVersion} always offers 65535 streams (OS and MIS)`,
        );
      }
      transportOptions = {
        ...common,
        // listenIps is deprecated from 3.13; UDP first, as preferUdp did.
        listenInfos: [
          { protocol: 'udp', ip: '127.0.0.1' },
          ...(enableTcp ? [{ protocol: 'tcp', ip: '127.0.0.1' }] : []),
        ],
        maxSendMessageSize: maxMessageSize,
        maxReceiveMessageSize: maxMessageSize,
      };
    } else {
      transportOptions = {
        ...common,
        listenIps: [{ ip: '127.0.0.1' }],
        numSctpStreams: options.numSctpStreams ?? { OS: 1024, MIS: 1024 },
        maxSctpMessageSize: maxMessageSize,
      };
    }
    // The worker with the fewest transports; counted before the await, so that concurrent
    // calls spread too.
    const host = this.hosts.reduce((least, next) =>
      next.transports < least.transports ? next : least,
    );
    host.transports++;
    let transport: MsWebRtcTransport;
    try {
      transport = await host.router.createWebRtcTransport(transportOptions);
    } catch (error) {
      host.transports--;
      throw error;
    }
    this.transports.set(transport.id, { transport, host });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      sctpParameters: transport.sctpParameters,
    };
  }

  async connect(transportId: string, params: { dtlsParameters: unknown }): Promise<void> {
    await this.transport(transportId).transport.connect(params);
  }

  /** Creates the router's DataProducer and consumes it on the DirectTransport. */
  async produceData(transportId: string, params: ProduceDataParams): Promise<{ id: string }> {
    const { transport, host } = this.transport(transportId);
    const producer = await transport.produceData(params);
    const consumer = await host.direct.consumeData({ dataProducerId: producer.id });
    consumer.on('message', (data: Buffer, ppid: number) => {
      const message = { dataProducerId: producer.id, ppid, data, receivedAt: performance.now() };
      this.log.record(message);
      this.emit('message', message);
    });
    this.dataProducers.set(producer.id, {
      producer,
      host,
      consumer,
      transportId,
      appData: { ...params.appData },
    });
    return { id: producer.id };
  }

  /**
   * A DataProducer of the app's own process, on the DirectTransport: clients consume it with
   * `consumeData()` and receive what `send()` sends.
   */
  async createDirectDataProducer(
    options: { label?: string; protocol?: string; appData?: Record<string, unknown> } = {},
  ): Promise<LocalDirectDataProducer> {
    const host = this.firstHost;
    const producer = await host.direct.produceData(options);
    this.dataProducers.set(producer.id, {
      producer,
      host,
      consumer: undefined,
      transportId: undefined,
      appData: { ...options.appData },
    });
    const close = (): void => {
      if (this.dataProducers.has(producer.id)) this.closeDataProducer(producer.id);
    };
    return {
      id: producer.id,
      get closed() {
        return producer.closed;
      },
      // Without a PPID mediasoup picks it (and sends an empty message as one byte with
      // PPID 56 or 57, which receivers read as empty).
      send: (message, ppid) => {
        producer.send(message, ppid);
      },
      close,
    };
  }

  /** The DataProducers on the router, the clients' and the app's own, oldest first. */
  listDataProducers(): LocalDataProducerInfo[] {
    return [...this.dataProducers.entries()].map(([id, entry]) => ({
      id,
      transportId: entry.transportId,
      label: entry.producer.label,
      protocol: entry.producer.protocol,
      appData: { ...entry.appData },
    }));
  }

  /**
   * Creates the router's DataConsumer of `dataProducerId` on a client's transport and
   * returns what the client's `transport.consumeData()` takes. The router picks the stream.
   */
  async consumeData(
    transportId: string,
    params: { dataProducerId: string; appData?: Record<string, unknown> },
  ): Promise<ConsumeDataParams> {
    const { transport, host } = this.transport(transportId);
    await this.pipe(params.dataProducerId, host);
    const consumer = await transport.consumeData({ dataProducerId: params.dataProducerId });
    this.dataConsumers.set(consumer.id, { consumer, transportId });
    const forget = (): void => {
      this.dataConsumers.delete(consumer.id);
    };
    consumer.on('dataproducerclose', forget);
    consumer.on('transportclose', forget);
    if (!consumer.sctpStreamParameters) {
      throw new Error(`the router gave DataConsumer ${consumer.id} no sctpStreamParameters`);
    }
    return {
      id: consumer.id,
      dataProducerId: consumer.dataProducerId,
      sctpStreamParameters: { ...consumer.sctpStreamParameters },
      label: consumer.label,
      protocol: consumer.protocol,
      appData: { ...params.appData },
    };
  }

  /** The router's DataConsumer that `consumeData()` made; throws for an unknown or forgotten id. */
  dataConsumer(dataConsumerId: string): LocalDataConsumer {
    const entry = this.dataConsumers.get(dataConsumerId);
    if (!entry) throw new Error(`no data consumer ${dataConsumerId} on the local router`);
    const { consumer } = entry;
    return {
      id: consumer.id,
      dataProducerId: consumer.dataProducerId,
      get closed() {
        return consumer.closed;
      },
      getBufferedAmount: () => consumer.getBufferedAmount(),
      on: (event, listener) => {
        consumer.on(event, listener);
      },
      close: () => {
        if (this.dataConsumers.has(consumer.id)) this.closeDataConsumer(consumer.id);
        else consumer.close();
      },
    };
  }

  hasDataConsumer(dataConsumerId: string): boolean {
    return this.dataConsumers.has(dataConsumerId);
  }

  /** Closes the router's DataConsumer: the client sees its stream reset. */
  closeDataConsumer(dataConsumerId: string): void {
    const entry = this.dataConsumers.get(dataConsumerId);
    if (!entry) throw new Error(`no data consumer ${dataConsumerId} on the local router`);
    entry.consumer.close();
    this.dataConsumers.delete(dataConsumerId);
  }

  hasDataProducer(dataProducerId: string): boolean {
    return this.dataProducers.has(dataProducerId);
  }

  messagesOf(dataProducerId: string): ReceivedMessage[] {
    return this.log.messagesOf(dataProducerId);
  }

  /** Resolves once `count` messages of that producer (or of all, without one) are recorded, with them. */
  async waitForMessages(
    count: number,
    options: { dataProducerId?: string; timeoutMs?: number } = {},
  ): Promise<ReceivedMessage[]> {
    return this.log.waitFor(count, options);
  }

  /** Closes the router's DataProducer: the client sees its stream reset. */
  closeDataProducer(dataProducerId: string): void {
    const entry = this.dataProducers.get(dataProducerId);
    if (!entry) throw new Error(`no data producer ${dataProducerId} on the local router`);
    entry.consumer?.close();
    entry.producer.close();
    this.dataProducers.delete(dataProducerId);
  }

  closeTransport(transportId: string): void {
    const { transport, host } = this.transport(transportId);
    transport.close();
    host.transports--;
    this.transports.delete(transportId);
    for (const [id, entry] of this.dataProducers) {
      if (entry.transportId === transportId) this.dataProducers.delete(id);
    }
    for (const [id, entry] of this.dataConsumers) {
      if (entry.transportId === transportId) this.dataConsumers.delete(id);
    }
  }

  async getTransportStats(transportId: string): Promise<unknown[]> {
    return this.transport(transportId).transport.getStats();
  }

  /** A DataProducer's mediasoup `getStats()` (the worker's own message and byte counts). */
  async getDataProducerStats(dataProducerId: string): Promise<unknown[]> {
    const entry = this.dataProducers.get(dataProducerId);
    if (!entry) throw new Error(`no data producer ${dataProducerId} on the local router`);
    return entry.producer.getStats();
  }

  /**
   * Closes the worker and resolves once its process is gone and mediasoup has let go of
   * its channel sockets (it destroys them 200 ms after close), so nothing keeps the
   * event loop alive.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transports.clear();
    this.dataProducers.clear();
    this.dataConsumers.clear();
    this.removeAllListeners();
    const pids = this.workerPids;
    for (const host of this.hosts) host.worker.close();
    const deadline = Date.now() + 5000;
    while (pids.some(isAlive) && Date.now() < deadline) await sleep(20);
    await sleep(250);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private get firstHost(): Host {
    const host = this.hosts[0];
    if (!host) throw new Error('a LocalRouter has at least one worker');
    return host;
  }

  /** Makes a DataProducer of another worker's router consumable on `host`'s router. */
  private async pipe(dataProducerId: string, host: Host): Promise<void> {
    const entry = this.dataProducers.get(dataProducerId);
    if (!entry || entry.host === host) return;
    let piping = host.piped.get(dataProducerId);
    if (!piping) {
      // Concurrent consumers of one DataProducer wait for the same pipe.
      piping = entry.host.router
        .pipeToRouter({ dataProducerId, router: host.router })
        .then(() => undefined);
      host.piped.set(dataProducerId, piping);
      piping.catch(() => host.piped.delete(dataProducerId));
    }
    await piping;
  }

  private transport(id: string): TransportEntry {
    const transport = this.transports.get(id);
    if (!transport) throw new Error(`no transport ${id} on the local router`);
    return transport;
  }
}

/** Throws TypeError unless the option is absent or an integer from `min` to `max`. */
function checkIntegerOption(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  unit = '',
): void {
  if (value === undefined || (Number.isInteger(value) && value >= min && value <= max)) return;
  throw new TypeError(
    `${name} must be an integer from ${min} to ${max}${unit}, got ${String(value)}`,
  );
}

/** Starts a worker with a router (no media codecs) and a DirectTransport of 1 MiB messages. */
async function startHost(mediasoup: MsModule, workerBin: string, logLevel: string): Promise<Host> {
  // workerBin: the binary already checked, even if mediasoup computed its default earlier
  // (mediasoup < 3.19.11 has no such option and uses the same rule).
  const worker = await mediasoup.createWorker({ logLevel, workerBin });
  try {
    const router = await worker.createRouter({ mediaCodecs: [] });
    const maxMessageSize = 1024 * 1024;
    const direct = await router.createDirectTransport(
      versionAtLeast(mediasoup.version, OWN_SCTP_STACK_SINCE)
        ? { maxSendMessageSize: maxMessageSize, maxReceiveMessageSize: maxMessageSize }
        : { maxMessageSize },
    );
    return { worker, router, direct, transports: 0, piped: new Map() };
  } catch (error) {
    worker.close();
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

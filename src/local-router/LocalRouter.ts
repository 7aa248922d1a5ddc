import { EventEmitter } from 'eventemitter3';

import { loadMediasoup } from './loadMediasoup.js';
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

export interface LocalRouterOptions {
  /** mediasoup worker log level. Default 'warn'. */
  logLevel?: 'debug' | 'warn' | 'error' | 'none';
  /** Keep every received message in `messages`. Default true; the benchmark turns it off. */
  recordMessages?: boolean;
  /**
   * Where to find the mediasoup package (MEDIASOUP_PATH, MEDIASOUP_DATA_PRODUCER_CACHE).
   * Default process.env. MEDIASOUP_WORKER_BIN is read by mediasoup itself from process.env.
   */
  env?: NodeJS.ProcessEnv;
}

export interface LocalTransportOptions {
  /** Also listen on TCP. Default false. */
  enableTcp?: boolean;
  /** The router's SCTP receive limit in bytes. Default 262144 (mediasoup's own default). */
  maxSctpMessageSize?: number;
  /** Streams the router offers. Default { OS: 1024, MIS: 1024 }. */
  numSctpStreams?: { OS: number; MIS: number };
}

export interface ReceivedMessage {
  dataProducerId: string;
  /** 51 string, 53 binary, 56 empty string, 57 empty binary. */
  ppid: number;
  data: Buffer;
  /** performance.now() when the router handed it to us. */
  receivedAt: number;
}

/** What the router's DataProducer was created with: it is what the client sent in `producedata`. */
export interface ProduceDataParams {
  sctpStreamParameters: unknown;
  label?: string;
  protocol?: string;
  appData?: Record<string, unknown>;
}

export interface LocalRouterEvents {
  message: [ReceivedMessage];
}

interface DataProducerEntry {
  producer: MsDataProducer;
  consumer: MsDataConsumer;
  transportId: string;
}

/**
 * A real mediasoup worker, router and DirectTransport on 127.0.0.1: the tests, the demo and
 * the benchmark send to it, and it reports every message that arrived with its PPID.
 */
export class LocalRouter extends EventEmitter<LocalRouterEvents> {
  readonly messages: ReceivedMessage[] = [];
  readonly mediasoupVersion: string;
  private readonly transports = new Map<string, MsWebRtcTransport>();
  private readonly dataProducers = new Map<string, DataProducerEntry>();
  private closed = false;

  private constructor(
    private readonly worker: MsWorker,
    private readonly router: MsRouter,
    private readonly direct: MsDirectTransport,
    private readonly recordMessages: boolean,
    mediasoup: MsModule,
  ) {
    super();
    this.mediasoupVersion = mediasoup.version;
  }

  static async start(options: LocalRouterOptions = {}): Promise<LocalRouter> {
    const mediasoup = loadMediasoup(options.env);
    const worker = await mediasoup.createWorker({ logLevel: options.logLevel ?? 'warn' });
    try {
      const router = await worker.createRouter({ mediaCodecs: [] });
      const direct = await router.createDirectTransport({ maxMessageSize: 1024 * 1024 });
      return new LocalRouter(worker, router, direct, options.recordMessages ?? true, mediasoup);
    } catch (error) {
      worker.close();
      throw error;
    }
  }

  get rtpCapabilities(): Record<string, unknown> {
    return this.router.rtpCapabilities;
  }

  get workerPid(): number {
    return this.worker.pid;
  }

  /** CPU seconds (user + system) the worker process has used so far. */
  async workerCpuSeconds(): Promise<number> {
    const usage = await this.worker.getResourceUsage();
    return (usage.ru_utime + usage.ru_stime) / 1000;
  }

  /** Creates a WebRtcTransport with SCTP and returns what `createSendTransport()` takes. */
  async createWebRtcTransport(options: LocalTransportOptions = {}): Promise<MsTransportCreated> {
    const transport = await this.router.createWebRtcTransport({
      listenIps: [{ ip: '127.0.0.1' }],
      enableUdp: true,
      enableTcp: options.enableTcp ?? false,
      preferUdp: true,
      enableSctp: true,
      numSctpStreams: options.numSctpStreams ?? { OS: 1024, MIS: 1024 },
      maxSctpMessageSize: options.maxSctpMessageSize ?? 262144,
    });
    this.transports.set(transport.id, transport);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      sctpParameters: transport.sctpParameters,
    };
  }

  async connect(transportId: string, params: { dtlsParameters: unknown }): Promise<void> {
    await this.transport(transportId).connect(params);
  }

  /** Creates the router's DataProducer and consumes it on the DirectTransport. */
  async produceData(transportId: string, params: ProduceDataParams): Promise<{ id: string }> {
    const producer = await this.transport(transportId).produceData(params);
    const consumer = await this.direct.consumeData({ dataProducerId: producer.id });
    consumer.on('message', (data: Buffer, ppid: number) => {
      const message = { dataProducerId: producer.id, ppid, data, receivedAt: performance.now() };
      if (this.recordMessages) this.messages.push(message);
      this.emit('message', message);
    });
    this.dataProducers.set(producer.id, { producer, consumer, transportId });
    return { id: producer.id };
  }

  hasDataProducer(dataProducerId: string): boolean {
    return this.dataProducers.has(dataProducerId);
  }

  messagesOf(dataProducerId: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.dataProducerId === dataProducerId);
  }

  /** Resolves once `count` messages of that producer (or of all, without one) have arrived. */
  async waitForMessages(
    count: number,
    { dataProducerId, timeoutMs = 20000 }: { dataProducerId?: string; timeoutMs?: number } = {},
  ): Promise<ReceivedMessage[]> {
    if (!this.recordMessages) {
      throw new Error('waitForMessages() needs a LocalRouter started with recordMessages: true');
    }
    const matching = (): ReceivedMessage[] =>
      dataProducerId === undefined ? this.messages : this.messagesOf(dataProducerId);
    if (matching().length >= count) return matching();
    return new Promise((resolve, reject) => {
      const onMessage = (): void => {
        if (matching().length < count) return;
        clearTimeout(timer);
        this.off('message', onMessage);
        resolve(matching());
      };
      const timer = setTimeout(() => {
        this.off('message', onMessage);
        reject(
          new Error(`only ${matching().length} of ${count} messages arrived in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.on('message', onMessage);
    });
  }

  /** Closes the router's DataProducer: the client sees its stream reset. */
  closeDataProducer(dataProducerId: string): void {
    const entry = this.dataProducers.get(dataProducerId);
    if (!entry) throw new Error(`no data producer ${dataProducerId} on the local router`);
    entry.consumer.close();
    entry.producer.close();
    this.dataProducers.delete(dataProducerId);
  }

  closeTransport(transportId: string): void {
    this.transport(transportId).close();
    this.transports.delete(transportId);
    for (const [id, entry] of this.dataProducers) {
      if (entry.transportId === transportId) this.dataProducers.delete(id);
    }
  }

  async getTransportStats(transportId: string): Promise<unknown[]> {
    return this.transport(transportId).getStats();
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
    this.removeAllListeners();
    const pid = this.worker.pid;
    this.worker.close();
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(20);
    await sleep(250);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private transport(id: string): MsWebRtcTransport {
    const transport = this.transports.get(id);
    if (!transport) throw new Error(`no transport ${id} on the local router`);
    return transport;
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

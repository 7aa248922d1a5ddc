// The small part of mediasoup's server API that the local router uses. Declared here
// rather than imported because mediasoup is not a dependency of this package: it is
// loaded at run time from the set-up script's cache or from the user's own install,
// and these members are the same from 3.8 to 3.32. The options objects, which differ
// between versions (LocalRouter picks them by version), are left untyped.

export interface MsTransportCreated {
  id: string;
  iceParameters: { usernameFragment: string; password: string; iceLite?: boolean };
  iceCandidates: {
    foundation: string;
    priority: number;
    ip: string;
    protocol: 'udp' | 'tcp';
    port: number;
    type: 'host';
    tcpType?: 'passive';
  }[];
  dtlsParameters: {
    role?: 'auto' | 'client' | 'server';
    fingerprints: { algorithm: string; value: string }[];
  };
  sctpParameters?: Record<string, unknown> & { port: number };
}

export interface MsDataConsumer {
  id: string;
  dataProducerId: string;
  sctpStreamParameters?: Record<string, unknown> & { streamId: number };
  label: string;
  protocol: string;
  closed: boolean;
  close(): void;
  getBufferedAmount(): Promise<number>;
  on(event: 'message', listener: (message: Buffer, ppid: number) => void): this;
  on(
    event: 'dataproducerclose' | 'transportclose' | 'sctpsendbufferfull',
    listener: () => void,
  ): this;
}

export interface MsDataProducer {
  id: string;
  label: string;
  protocol: string;
  closed: boolean;
  close(): void;
  getStats(): Promise<unknown[]>;
}

/** A DataProducer on a DirectTransport: the app's Node process sends through it. */
export interface MsDirectDataProducer extends MsDataProducer {
  send(message: string | Buffer, ppid?: number): void;
}

export interface MsWebRtcTransport extends MsTransportCreated {
  closed: boolean;
  close(): void;
  connect(params: { dtlsParameters: unknown }): Promise<void>;
  produceData(options: {
    sctpStreamParameters: unknown;
    label?: string;
    protocol?: string;
    appData?: Record<string, unknown>;
  }): Promise<MsDataProducer>;
  consumeData(options: { dataProducerId: string }): Promise<MsDataConsumer>;
  getStats(): Promise<unknown[]>;
  on(event: string, listener: (...args: unknown[]) => void): this;
}

export interface MsDirectTransport {
  close(): void;
  consumeData(options: { dataProducerId: string }): Promise<MsDataConsumer>;
  produceData(options: {
    label?: string;
    protocol?: string;
    appData?: Record<string, unknown>;
  }): Promise<MsDirectDataProducer>;
}

export interface MsRouter {
  rtpCapabilities: Record<string, unknown>;
  close(): void;
  createWebRtcTransport(options: Record<string, unknown>): Promise<MsWebRtcTransport>;
  createDirectTransport(options?: Record<string, unknown>): Promise<MsDirectTransport>;
  pipeToRouter(options: { dataProducerId: string; router: MsRouter }): Promise<unknown>;
}

export interface MsWorker {
  pid: number;
  closed: boolean;
  close(): void;
  createRouter(options: { mediaCodecs: unknown[] }): Promise<MsRouter>;
  getResourceUsage(): Promise<{ ru_utime: number; ru_stime: number; ru_maxrss: number }>;
  on(event: 'died', listener: (error: Error) => void): this;
}

export interface MsModule {
  version: string;
  createWorker(options: Record<string, unknown>): Promise<MsWorker>;
}

// The benchmark's side of the router host: a SignalingRouter for the clients plus the
// counting and verification calls, every one with a timeout. `RouterClient` speaks over
// any IPC endpoint: to the host directly (`RouterProxy`, which also owns the host
// process), or relayed by the benchmark process for a scale child.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { LocalTransportOptions, ProduceDataParams } from 'mediasoup-local-router';
import type { SignalingRouter, TransportParams } from '../clients/types.js';
import { errorMessage, withTimeout } from '../lib/util.js';
import type {
  HostEvent,
  MethodName,
  ProducerStats,
  RequestMessage,
  ResponseMessage,
  RouterInfo,
  RouterMethods,
} from './protocol.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  method: string;
}

const DEFAULT_CALL_TIMEOUT_MS = 30000;

/** Where requests go and responses come from. */
export interface Endpoint {
  send(message: RequestMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The other side is gone (exited, disconnected). */
  onGone(listener: (reason: string) => void): void;
}

export function childEndpoint(child: ChildProcess, name: string): Endpoint {
  return {
    send: (message) => {
      child.send(message);
    },
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onGone: (listener) => {
      child.on('exit', (code, signal) => {
        listener(`the ${name} exited (code ${code}, signal ${signal})`);
      });
      child.on('disconnect', () => {
        listener(`the ${name} disconnected`);
      });
    },
  };
}

/** This process's own IPC channel to its parent. */
export function parentEndpoint(): Endpoint {
  return {
    send: (message) => {
      if (!process.send) throw new Error('no IPC channel to the parent process');
      process.send(message);
    },
    onMessage: (listener) => {
      process.on('message', listener);
    },
    onGone: (listener) => {
      process.on('disconnect', () => {
        listener('the benchmark process disconnected');
      });
    },
  };
}

/** How long a relayed or direct call may take: waits get their own wait plus a margin. */
export function callTimeoutMs(method: MethodName, params: unknown[]): number {
  if (method === 'sendPaced') {
    const seconds = (params[1] as { seconds?: unknown } | undefined)?.seconds;
    return (typeof seconds === 'number' ? seconds * 1000 : DEFAULT_CALL_TIMEOUT_MS) + 30000;
  }
  if (method === 'waitFor' || method === 'waitForEach') {
    const wait = params[2];
    return (typeof wait === 'number' ? wait : DEFAULT_CALL_TIMEOUT_MS) + 10000;
  }
  return DEFAULT_CALL_TIMEOUT_MS;
}

export class RouterClient implements SignalingRouter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deadReason: string | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    readonly info: RouterInfo,
    readonly rtpCapabilities: Record<string, unknown>,
  ) {
    endpoint.onMessage((raw) => {
      const message = raw as ResponseMessage | HostEvent;
      if (message.kind !== 'response') return;
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      if (message.ok) entry.resolve(message.result);
      else entry.reject(new Error(`router ${entry.method}: ${message.error}`));
    });
    endpoint.onGone((reason) => {
      this.fail(reason);
    });
  }

  /** Why the router can no longer be reached, if it cannot. */
  get dead(): string | undefined {
    return this.deadReason;
  }

  call<M extends MethodName>(
    method: M,
    ...params: RouterMethods[M]['params']
  ): Promise<RouterMethods[M]['result']>;
  call(method: MethodName, ...params: unknown[]): Promise<unknown> {
    return this.forward(method, params);
  }

  /** An untyped call (the relay's): the timeout follows `callTimeoutMs`. */
  forward(method: MethodName, params: unknown[]): Promise<unknown> {
    const timeoutMs = callTimeoutMs(method, params);
    if (this.deadReason) return Promise.reject(new Error(this.deadReason));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`router ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method });
      try {
        this.endpoint.send({ kind: 'request', id, method, params });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`router ${method}: ${errorMessage(error)}`));
      }
    });
  }

  // SignalingRouter

  createWebRtcTransport(options: LocalTransportOptions = {}): Promise<TransportParams> {
    return this.call('createWebRtcTransport', options);
  }

  async connect(transportId: string, params: { dtlsParameters: unknown }): Promise<void> {
    await this.call('connect', transportId, params);
  }

  produceData(transportId: string, params: ProduceDataParams): Promise<{ id: string }> {
    return this.call('produceData', transportId, params);
  }

  async closeTransport(transportId: string): Promise<void> {
    await this.call('closeTransport', transportId);
  }

  // Counting and verification

  async track(ids: string[], expectedSize: number | null): Promise<void> {
    await this.call('track', ids, expectedSize);
  }

  async untrack(ids: string[]): Promise<void> {
    await this.call('untrack', ids);
  }

  /** Waits (at most timeoutMs) until `count` messages of the producer arrived. */
  waitFor(id: string, count: number, timeoutMs: number): Promise<ProducerStats> {
    return this.call('waitFor', id, count, timeoutMs);
  }

  waitForEach(
    ids: string[],
    count: number,
    timeoutMs: number,
  ): Promise<{ complete: number; missing: string[] }> {
    return this.call('waitForEach', ids, count, timeoutMs);
  }

  stats(id: string): Promise<ProducerStats> {
    return this.call('stats', id);
  }

  workerCpuSeconds(): Promise<number> {
    return this.call('workerCpuSeconds');
  }

  hostCpuSeconds(): Promise<number> {
    return this.call('hostCpuSeconds');
  }

  workerReceived(dataProducerId: string): Promise<{ messages: number; bytes: number } | null> {
    return this.call('workerReceived', dataProducerId);
  }

  protected fail(reason: string): void {
    this.deadReason ??= reason;
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`router ${entry.method}: ${reason}`));
      this.pending.delete(id);
    }
  }
}

/** The router host process and the client for it. */
export class RouterProxy extends RouterClient {
  private constructor(
    private readonly child: ChildProcess,
    info: RouterInfo,
    rtpCapabilities: Record<string, unknown>,
  ) {
    super(childEndpoint(child, 'router host'), info, rtpCapabilities);
  }

  /** Forks the router host and waits until its worker and router are up. */
  static async start(timeoutMs = 30000): Promise<RouterProxy> {
    const child = forkTs(join(__dirname, 'host.ts'));
    const ready = new Promise<RouterInfo>((resolve, reject) => {
      child.on('message', (message: ResponseMessage | HostEvent) => {
        if (message.kind === 'ready') resolve(message.info);
        if (message.kind === 'fatal') reject(new Error(message.error));
      });
      child.on('exit', (code, signal) => {
        reject(
          new Error(`the router host exited before it was ready (code ${code}, signal ${signal})`),
        );
      });
      child.on('error', reject);
    });
    try {
      const info = await withTimeout(ready, timeoutMs, 'starting the router host');
      const bootstrap = new RouterClient(childEndpoint(child, 'router host'), info, {});
      const caps = await bootstrap.call('rtpCapabilities');
      child.removeAllListeners('message');
      child.removeAllListeners('exit');
      child.removeAllListeners('disconnect');
      return new RouterProxy(child, info, caps);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** Closes the worker and waits for the host to exit (kills it if it does not). */
  async close(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
    });
    try {
      if (!this.dead) await this.call('close');
      await withTimeout(exited, 5000, 'router host exit');
    } catch {
      child.kill('SIGKILL');
      await withTimeout(exited, 5000, 'router host exit after SIGKILL').catch(() => undefined);
    }
  }
}

/** Forks a TypeScript entry point with this process's loader (tsx) flags. */
export function forkTs(file: string): ChildProcess {
  const execArgv = process.execArgv.some((a) => a.includes('tsx'))
    ? process.execArgv
    : [...process.execArgv, '--import', 'tsx'];
  return fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

// The router host: a child process that owns the LocalRouter (mediasoup worker, router,
// DirectTransport) and verifies every arriving message, so that the benchmark process
// holds only the clients and its CPU and RSS figures are the clients' own.
import {
  LocalRouter,
  type LocalTransportOptions,
  type ReceivedMessage,
} from '../../packages/mediasoup-local-router/src/index.js';
import { versionAtLeast } from '../../packages/mediasoup-local-router/src/loadMediasoup.js';
import { errorMessage } from '../lib/util.js';
import type {
  HostEvent,
  ProducerStats,
  RequestMessage,
  ResponseMessage,
  RouterMethods,
} from './protocol.js';

interface Tracked {
  stats: ProducerStats;
  expectedSize: number | null;
  nextSeq: number;
  firstAt: bigint | null;
  lastAt: bigint | null;
}

interface Waiter {
  count: number;
  resolve: () => void;
}

const tracked = new Map<string, Tracked>();
const waiters = new Map<string, Set<Waiter>>();

function send(message: ResponseMessage | HostEvent): void {
  if (process.connected) process.send?.(message);
}

function emptyStats(dataProducerId: string): ProducerStats {
  return {
    dataProducerId,
    count: 0,
    bytes: 0,
    orderErrors: 0,
    sizeErrors: 0,
    contentErrors: 0,
    ppidErrors: 0,
    firstAtNs: null,
    lastAtNs: null,
  };
}

function snapshot(id: string): ProducerStats {
  const entry = tracked.get(id);
  if (!entry) return emptyStats(id);
  return {
    ...entry.stats,
    firstAtNs: entry.firstAt === null ? null : entry.firstAt.toString(),
    lastAtNs: entry.lastAt === null ? null : entry.lastAt.toString(),
  };
}

function onMessage(message: ReceivedMessage): void {
  const entry = tracked.get(message.dataProducerId);
  if (!entry) return;
  const at = process.hrtime.bigint();
  const { data } = message;
  const stats = entry.stats;
  stats.count++;
  stats.bytes += data.length;
  entry.firstAt ??= at;
  entry.lastAt = at;
  if (message.ppid !== 53) stats.ppidErrors++;
  if (entry.expectedSize !== null && data.length !== entry.expectedSize) stats.sizeErrors++;
  if (data.length >= 9) {
    const seq = data.readUInt32LE(0) + data.readUInt32LE(4) * 2 ** 32;
    if (seq !== entry.nextSeq) stats.orderErrors++;
    entry.nextSeq = seq + 1;
    if (data[data.length - 1] !== seq % 256) stats.contentErrors++;
  } else {
    stats.sizeErrors++;
  }
  const set = waiters.get(message.dataProducerId);
  if (set) {
    for (const waiter of set) {
      if (stats.count >= waiter.count) {
        set.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

function waitForCount(id: string, count: number, timeoutMs: number): Promise<void> {
  if ((tracked.get(id)?.stats.count ?? 0) >= count) return Promise.resolve();
  return new Promise((resolve) => {
    let set = waiters.get(id);
    if (!set) {
      set = new Set();
      waiters.set(id, set);
    }
    const waiter: Waiter = {
      count,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    };
    const timer = setTimeout(() => {
      set.delete(waiter);
      resolve();
    }, timeoutMs);
    set.add(waiter);
  });
}

interface StatsCapable {
  getStats?: () => Promise<unknown>;
}

/**
 * The worker's own count for a DataProducer. LocalRouter keeps its mediasoup DataProducers
 * to itself, so this reads its (private) map; if that ever changes, the answer is null and
 * the report says "n/a" rather than the benchmark failing.
 */
async function workerReceived(
  router: LocalRouter,
  dataProducerId: string,
): Promise<{ messages: number; bytes: number } | null> {
  const map = (router as unknown as { dataProducers?: unknown }).dataProducers;
  if (!(map instanceof Map)) return null;
  const entry = map.get(dataProducerId) as { producer?: StatsCapable } | undefined;
  const producer = entry?.producer;
  if (typeof producer?.getStats !== 'function') return null;
  const stats = await producer.getStats();
  if (!Array.isArray(stats)) return null;
  for (const item of stats as { messagesReceived?: unknown; bytesReceived?: unknown }[]) {
    if (typeof item.messagesReceived === 'number' && typeof item.bytesReceived === 'number') {
      return { messages: item.messagesReceived, bytes: item.bytesReceived };
    }
  }
  return null;
}

/**
 * The mediasoup-client peers ask for their device's numSctpStreams, as apps do; mediasoup
 * >= 3.20 has no such option (it ignores it, and LocalRouter refuses it), so it is dropped.
 */
function forThisRouter(router: LocalRouter, options: LocalTransportOptions): LocalTransportOptions {
  if (!versionAtLeast(router.mediasoupVersion, '3.20.0')) return options;
  const { numSctpStreams: _ignored, ...rest } = options;
  return rest;
}

type Handlers = {
  [M in keyof RouterMethods]: (
    ...params: RouterMethods[M]['params']
  ) => Promise<RouterMethods[M]['result']> | RouterMethods[M]['result'];
};

function handlers(router: LocalRouter): Handlers {
  return {
    info: () => ({
      mediasoupVersion: router.mediasoupVersion,
      workerPid: router.workerPid,
      hostPid: process.pid,
    }),
    rtpCapabilities: () => router.rtpCapabilities,
    createWebRtcTransport: (options) =>
      router.createWebRtcTransport(forThisRouter(router, options)),
    connect: async (transportId, params) => {
      await router.connect(transportId, params);
      return undefined;
    },
    produceData: (transportId, params) => router.produceData(transportId, params),
    closeTransport: (transportId) => {
      router.closeTransport(transportId);
      return undefined;
    },
    track: (ids, expectedSize) => {
      for (const id of ids) {
        tracked.set(id, {
          stats: emptyStats(id),
          expectedSize,
          nextSeq: 0,
          firstAt: null,
          lastAt: null,
        });
      }
      return undefined;
    },
    untrack: (ids) => {
      for (const id of ids) {
        tracked.delete(id);
        waiters.delete(id);
      }
      return undefined;
    },
    stats: (id) => snapshot(id),
    waitFor: async (id, count, timeoutMs) => {
      await waitForCount(id, count, timeoutMs);
      return snapshot(id);
    },
    waitForEach: async (ids, count, timeoutMs) => {
      await Promise.all(ids.map((id) => waitForCount(id, count, timeoutMs)));
      const missing = ids.filter((id) => (tracked.get(id)?.stats.count ?? 0) < count);
      return { complete: ids.length - missing.length, missing };
    },
    workerCpuSeconds: () => router.workerCpuSeconds(),
    hostCpuSeconds: () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    },
    workerReceived: (dataProducerId) => workerReceived(router, dataProducerId),
    close: async () => {
      await router.close();
      return undefined;
    },
  };
}

async function main(): Promise<void> {
  let router: LocalRouter;
  try {
    router = await LocalRouter.start({ recordMessages: false });
  } catch (error) {
    send({ kind: 'fatal', error: `the local router did not start: ${errorMessage(error)}` });
    if (process.connected) process.disconnect();
    return;
  }
  router.on('message', onMessage);
  const table = handlers(router);
  let closing = false;

  process.on('message', (message: unknown) => {
    const raw = message as Partial<RequestMessage>;
    const { id, method, params } = raw;
    if (raw.kind !== 'request' || id === undefined || method === undefined || !(method in table)) {
      return;
    }
    const handler = table[method] as (...args: unknown[]) => unknown;
    Promise.resolve()
      .then(() => handler(...(params ?? [])))
      .then(
        (result) => {
          send({ kind: 'response', id, ok: true, result });
          if (method === 'close') {
            closing = true;
            if (process.connected) process.disconnect();
          }
        },
        (error: unknown) => {
          send({ kind: 'response', id, ok: false, error: errorMessage(error) });
        },
      );
  });
  // The benchmark went away without closing us: close the worker and leave.
  process.on('disconnect', () => {
    if (!closing) void router.close();
  });
  send({
    kind: 'ready',
    info: {
      mediasoupVersion: router.mediasoupVersion,
      workerPid: router.workerPid,
      hostPid: process.pid,
    },
  });
}

void main();

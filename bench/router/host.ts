// The router host: a child process that owns the LocalRouter (mediasoup worker, router,
// DirectTransport) and verifies every arriving message, so that the benchmark process
// holds only the clients and its CPU and RSS figures are the clients' own.
import {
  LocalRouter,
  type LocalDataConsumer,
  type LocalDirectDataProducer,
  type LocalTransportOptions,
} from 'mediasoup-local-router';
import {
  answer,
  serveLocalRouter,
  type LocalRouterService,
} from 'mediasoup-data-producer-cli/testing';
import { encodeMessage, epochNow } from 'mediasoup-data-bots';

import type { ConsumeParams } from '../clients/types.js';
import { sendPaced } from '../lib/routerPacing.js';
import { errorMessage, sleep } from '../lib/util.js';
import type {
  HostEvent,
  ProducerStats,
  RequestMessage,
  ResponseMessage,
  RouterMethods,
} from './protocol.js';

interface Waiter {
  count: number;
  resolve: () => void;
}

const waiters = new Map<string, Set<Waiter>>();

function send(message: ResponseMessage | HostEvent): void {
  if (process.connected) process.send?.(message);
}

/**
 * What the checker counted for one DataProducer since track(). Each tracked producer is a
 * run of its own (named by its id), so that untrack() forgets just it.
 */
function snapshot(service: LocalRouterService, id: string): ProducerStats {
  const report = service.checker.report(id);
  const producer = report?.producers[id];
  return {
    dataProducerId: id,
    count: producer?.messages ?? 0,
    bytes: producer?.bytes ?? 0,
    orderErrors: producer?.gaps ?? 0,
    sizeErrors: (producer?.wrongSize ?? 0) + (report?.malformed ?? 0),
    ppidErrors: producer?.notBinary ?? 0,
    firstAt: report?.firstAt ?? null,
    lastAt: report?.lastAt ?? null,
  };
}

/** Wakes the waiters of a producer that has now enough messages. */
function wake(service: LocalRouterService, id: string): void {
  const set = waiters.get(id);
  if (!set) return;
  const count = service.checker.received(id);
  for (const waiter of set) {
    if (count >= waiter.count) {
      set.delete(waiter);
      waiter.resolve();
    }
  }
}

function waitForCount(
  service: LocalRouterService,
  id: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  if (service.checker.received(id) >= count) return Promise.resolve();
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

/** A DataProducer on the DirectTransport and its DataConsumer on one client's transport. */
interface DirectPair {
  producer: LocalDirectDataProducer;
  consumer: LocalDataConsumer;
  drops: number;
}

const pairs = new Map<string, DirectPair>();
/** sctpsendbufferfull counts of the consumeData() consumers (latency). */
const consumerDrops = new Map<string, number>();

function consumeParams(params: ConsumeParams): ConsumeParams {
  const { id, dataProducerId, sctpStreamParameters, label, protocol } = params;
  return { id, dataProducerId, sctpStreamParameters, label, protocol };
}

function pair(consumerId: string): DirectPair {
  const entry = pairs.get(consumerId);
  if (!entry) throw new Error(`no direct DataProducer for consumer ${consumerId}`);
  return entry;
}

/** The worker's own count for a DataProducer; null when the router no longer has it. */
async function workerReceived(
  router: LocalRouter,
  dataProducerId: string,
): Promise<{ messages: number; bytes: number } | null> {
  if (!router.hasDataProducer(dataProducerId)) return null;
  const stats = await router.getDataProducerStats(dataProducerId);
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
  // LocalRouter supports mediasoup 3.8 to 3.32: the minor version tells.
  const minor = Number(router.mediasoupVersion.split('.')[1]);
  if (minor < 20) return options;
  const { numSctpStreams: _ignored, ...rest } = options;
  return rest;
}

type Handlers = {
  [M in keyof RouterMethods]: (
    ...params: RouterMethods[M]['params']
  ) => Promise<RouterMethods[M]['result']> | RouterMethods[M]['result'];
};

function handlers(service: LocalRouterService): Handlers {
  const { router, checker } = service;
  return {
    info: () => ({
      mediasoupVersion: router.mediasoupVersion,
      workerPid: router.workerPid,
      hostPid: process.pid,
    }),
    rtpCapabilities: () => router.rtpCapabilities,
    createWebRtcTransport: (options) =>
      service.createWebRtcTransport(forThisRouter(router, options)),
    connect: async (transportId, params) => {
      await service.connect(transportId, params.dtlsParameters);
      return undefined;
    },
    produceData: (transportId, params) => service.produceData(transportId, params),
    closeTransport: (transportId) => {
      service.closeTransport(transportId);
      return undefined;
    },
    track: (ids, expectedSize) => {
      for (const id of ids) checker.register(id, id, { size: expectedSize ?? undefined });
      return undefined;
    },
    untrack: (ids) => {
      for (const id of ids) {
        checker.forget(id);
        waiters.delete(id);
      }
      return undefined;
    },
    stats: (id) => snapshot(service, id),
    waitFor: async (id, count, timeoutMs) => {
      await waitForCount(service, id, count, timeoutMs);
      return snapshot(service, id);
    },
    waitForEach: async (ids, count, timeoutMs) => {
      await Promise.all(ids.map((id) => waitForCount(service, id, count, timeoutMs)));
      const missing = ids.filter((id) => checker.received(id) < count);
      return { complete: ids.length - missing.length, missing };
    },
    workerCpuSeconds: () => router.workerCpuSeconds(),
    hostCpuSeconds: () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    },
    workerReceived: (dataProducerId) => workerReceived(router, dataProducerId),
    consumeDirect: async (transportId, label) => {
      const producer = await router.createDirectDataProducer({ label });
      try {
        const params = await router.consumeData(transportId, { dataProducerId: producer.id });
        const entry: DirectPair = { producer, consumer: router.dataConsumer(params.id), drops: 0 };
        entry.consumer.on('sctpsendbufferfull', () => {
          entry.drops++;
        });
        pairs.set(params.id, entry);
        return consumeParams(params);
      } catch (error) {
        producer.close();
        throw error;
      }
    },
    consumeData: async (transportId, dataProducerId) => {
      const params = await router.consumeData(transportId, { dataProducerId });
      consumerDrops.set(params.id, 0);
      router.dataConsumer(params.id).on('sctpsendbufferfull', () => {
        consumerDrops.set(params.id, (consumerDrops.get(params.id) ?? 0) + 1);
      });
      return consumeParams(params);
    },
    consumerDrops: async (consumerId) => {
      // The worker's notifications come before its answer to a later request.
      if (router.hasDataConsumer(consumerId)) {
        await router.dataConsumer(consumerId).getBufferedAmount();
      }
      const drops = consumerDrops.get(consumerId) ?? 0;
      consumerDrops.delete(consumerId);
      return drops;
    },
    sendPaced: async (consumerId, options) => {
      const entry = pair(consumerId);
      const check = async (): Promise<{ buffered: number; workerReceivedBytes: number }> => {
        // Both requests go down the worker's channel in this order and it answers them in
        // order: whatever it took in between is counted twice, never missed.
        const [received, buffered] = await Promise.all([
          workerReceived(router, entry.producer.id),
          entry.consumer.getBufferedAmount(),
        ]);
        return { buffered, workerReceivedBytes: received?.bytes ?? NaN };
      };
      const report = await sendPaced(
        {
          send: (seq) => {
            const at = epochNow();
            entry.producer.send(encodeMessage(options.size, seq, at), 53);
            return at;
          },
          check,
          drops: () => entry.drops,
          sleep,
          now: () => performance.now(),
        },
        options,
      );
      // sctpsendbufferfull comes over the worker's channel, before the answer to a later request.
      await check();
      report.drops = entry.drops;
      return report;
    },
    closeDirect: (consumerId) => {
      const entry = pairs.get(consumerId);
      pairs.delete(consumerId);
      entry?.producer.close();
      return undefined;
    },
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
  // No latency figures: the host must keep up with the fastest client, and the benchmark
  // times arrivals itself.
  const service = serveLocalRouter(router, { latency: false });
  // After the checker's own listener: it has counted the message when the waiters look.
  router.on('message', (m) => {
    wake(service, m.dataProducerId);
  });
  const table = handlers(service);
  let closing = false;

  process.on('message', (message: unknown) => {
    const raw = message as Partial<RequestMessage>;
    const { id, method, params } = raw;
    if (raw.kind !== 'request' || id === undefined || method === undefined) return;
    void answer(
      table as Record<string, (...args: unknown[]) => unknown>,
      method,
      ...(params ?? []),
    ).then((answered) => {
      send(
        answered.ok
          ? { kind: 'response', id, ok: true, result: answered.result }
          : { kind: 'response', id, ok: false, error: answered.error },
      );
      if (answered.ok && method === 'close') {
        closing = true;
        if (process.connected) process.disconnect();
      }
    });
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

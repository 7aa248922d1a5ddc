// The local router's signaling and receiving side, whatever carries the requests: the
// websocket signaling server (`local-router`, the demo's child process) or the benchmark's
// router host (IPC). Every arriving message goes to one ReceiverChecker.

import type {
  ConsumeDataParams,
  LocalRouter,
  LocalTransportOptions,
  LocalTransportParameters,
  ProduceDataParams,
} from 'mediasoup-local-router';
import {
  errorMessage,
  ReceiverChecker,
  type DataProducerInfo,
  type ReceiverCheckerOptions,
} from 'mediasoup-data-bots';

export interface LocalRouterService {
  readonly router: LocalRouter;
  readonly checker: ReceiverChecker;
  /** Ids of the transports created through this service and not closed yet. */
  readonly openTransports: ReadonlySet<string>;
  createWebRtcTransport(options?: LocalTransportOptions): Promise<LocalTransportParameters>;
  connect(transportId: string, dtlsParameters: unknown): Promise<void>;
  /** Registers the DataProducer with the checker when its appData names a run (mdpRunId). */
  produceData(transportId: string, params: ProduceDataParams): Promise<{ id: string }>;
  /**
   * The router's DataConsumer of a DataProducer on a client's (recv) transport: what the
   * client's `transport.consumeData()` takes.
   */
  consumeData(
    transportId: string,
    dataProducerId: string,
  ): Promise<Omit<ConsumeDataParams, 'appData'>>;
  /** The router's open DataProducers whose appData.room is `room`, oldest first. */
  listDataProducers(room: string): DataProducerInfo[];
  /** False when the router has no such DataConsumer (closed, or with its transport). */
  closeDataConsumer(dataConsumerId: string): boolean;
  /** False when this service did not create it, or closed it already. */
  closeTransport(transportId: string): boolean;
}

export function serveLocalRouter(
  router: LocalRouter,
  checkerOptions: ReceiverCheckerOptions = {},
): LocalRouterService {
  const checker = new ReceiverChecker(checkerOptions);
  router.on('message', (m) => {
    // receivedAt is this process's performance.now(): the checker compares it with send
    // times taken in another process, so both are made epoch times.
    checker.record(m.dataProducerId, m.data, performance.timeOrigin + m.receivedAt, m.ppid);
  });
  const transports = new Set<string>();
  return {
    router,
    checker,
    openTransports: transports,
    async createWebRtcTransport(options) {
      const params = await router.createWebRtcTransport(options);
      transports.add(params.id);
      return params;
    },
    async connect(transportId, dtlsParameters) {
      await router.connect(transportId, { dtlsParameters });
    },
    async produceData(transportId, params) {
      const { id } = await router.produceData(transportId, params);
      checker.registerFromAppData(id, params.appData);
      return { id };
    },
    async consumeData(transportId, dataProducerId) {
      const { id, sctpStreamParameters, label, protocol } = await router.consumeData(transportId, {
        dataProducerId,
      });
      return { id, dataProducerId, sctpStreamParameters, label, protocol };
    },
    listDataProducers(room) {
      return router
        .listDataProducers()
        .filter((p) => p.appData.room === room)
        .map(({ id, label, protocol, appData }) => ({ id, label, protocol, appData }));
    },
    closeDataConsumer(dataConsumerId) {
      if (!router.hasDataConsumer(dataConsumerId)) return false;
      router.closeDataConsumer(dataConsumerId);
      return true;
    },
    closeTransport(transportId) {
      if (!transports.delete(transportId)) return false;
      router.closeTransport(transportId);
      return true;
    },
  };
}

export type Answer = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * Runs the handler a request names and says how it went: the one place where a request
 * from any transport (websocket, IPC) becomes an answer, an unknown method included.
 */
export async function answer<Args extends unknown[]>(
  handlers: Readonly<Record<string, (...args: Args) => unknown>>,
  method: string,
  ...args: Args
): Promise<Answer> {
  const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  try {
    if (!handler) throw new Error(`unknown method ${method}`);
    return { ok: true, result: await handler(...args) };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

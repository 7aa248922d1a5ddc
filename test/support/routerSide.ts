// The router-to-client direction for integration tests, on LocalRouter's public API: a
// DataProducer of the test's own (on the router's DirectTransport) and the router's
// DataConsumers on a client's recv transport.
import type { DataConsumer, Transport, types } from 'mediasoup-data-producer';
import type {
  LocalDataConsumer,
  LocalDirectDataProducer,
  LocalRouter,
} from 'mediasoup-local-router';

import { signalConnectOnly, type Session } from './session.js';

/** A router-side DataProducer on the DirectTransport: `send(message, ppid)` goes to consumers. */
export type RouterDataProducer = LocalDirectDataProducer;

/** A router-side DataConsumer on a WebRtcTransport, with what the client's consumeData() takes. */
export interface RouterDataConsumer extends LocalDataConsumer {
  sctpStreamParameters: types.SctpStreamParameters;
  label: string;
  protocol: string;
}

/** A DataProducer on the router's DirectTransport, for messages from the router's side. */
export function produceOnRouter(
  router: LocalRouter,
  options: { label?: string; protocol?: string } = {},
): Promise<RouterDataProducer> {
  return router.createDirectDataProducer(options);
}

/** The router's DataConsumer of `dataProducerId` on the client transport `transportId`. */
export async function consumeOnRouter(
  router: LocalRouter,
  transportId: string,
  options: { dataProducerId: string },
): Promise<RouterDataConsumer> {
  const params = await router.consumeData(transportId, options);
  // The router's own DataConsumer object (its closed getter stays live), with the stream.
  return Object.assign(router.dataConsumer(params.id), {
    sctpStreamParameters: params.sctpStreamParameters,
    label: params.label,
    protocol: params.protocol,
  });
}

/** A recv transport whose `connect` is answered by the local router; the session closes it. */
export async function createRecvTransport(
  session: Session,
  client: Partial<types.TransportOptions> = {},
): Promise<Transport> {
  const params = await session.router.createWebRtcTransport();
  const transport = session.device.createRecvTransport({ ...params, ...client });
  signalConnectOnly(session, transport);
  return transport;
}

/**
 * Consumes `dataProducerId` on the router onto `transport`, as an app's server and client
 * would: the router's DataConsumer first, then the client's with what it tells.
 */
export async function consumeFromRouter(
  session: Session,
  transport: Transport,
  dataProducerId: string,
): Promise<{ dataConsumer: DataConsumer; routerConsumer: RouterDataConsumer }> {
  const routerConsumer = await consumeOnRouter(session.router, transport.id, { dataProducerId });
  const dataConsumer = await transport.consumeData({
    id: routerConsumer.id,
    dataProducerId: routerConsumer.dataProducerId,
    sctpStreamParameters: routerConsumer.sctpStreamParameters,
    label: routerConsumer.label,
    protocol: routerConsumer.protocol,
  });
  return { dataConsumer, routerConsumer };
}

/**
 * Sends `messages` from the router as fast as its SCTP send buffer takes them: the router
 * drops what does not fit (its `sctpsendbufferfull`), so a burst larger than the buffer waits
 * whenever the consumer's backlog passes `highWaterMark` bytes. Resolves with how many sends
 * the router reported dropped (0 unless the pacing failed).
 */
export async function sendPaced(
  routerProducer: RouterDataProducer,
  routerConsumer: RouterDataConsumer,
  messages: Iterable<[string | Buffer, number]>,
  { batch = 100, highWaterMark = 64 * 1024 }: { batch?: number; highWaterMark?: number } = {},
): Promise<number> {
  let dropped = 0;
  const onFull = (): void => {
    dropped++;
  };
  routerConsumer.on('sctpsendbufferfull', onFull);
  let sent = 0;
  for (const [message, ppid] of messages) {
    routerProducer.send(message, ppid);
    if (++sent % batch !== 0) continue;
    while ((await routerConsumer.getBufferedAmount()) > highWaterMark) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  return dropped;
}

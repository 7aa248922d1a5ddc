// A browser's order on a real router: the transport's `connectionstatechange` to 'connected'
// comes before the first DataProducer's or DataConsumer's `open`. node-datachannel reports
// the peer's state and each channel's open through callbacks of their own: when the JS
// thread is busy while the association comes up (an app under load), a DataProducer made
// right after finds its channel open and reported `open` on the next turn of the event
// loop, before the peer's state reached JS. So each direction is tried on many fresh
// transports, the send one with the app busy just before it answers `producedata`.
import type { DataConsumer, DataProducer, Transport } from 'mediasoup-data-producer';

import {
  consumeFromRouter,
  createRecvTransport,
  produceOnRouter,
  type RouterDataProducer,
} from '@test-support/routerSide.js';
import { once, signalConnectOnly, useSessionPerFile, type Session } from '@test-support/session.js';

const RUNS = 10;

let session!: Session;
useSessionPerFile((started) => (session = started));

/** The transport's connection states and the endpoint's open, as they come. */
function recordFrom(transport: Transport): {
  log: string[];
  untilOpen(endpoint: DataProducer | DataConsumer): Promise<void>;
} {
  const log: string[] = [];
  transport.on('connectionstatechange', (state) => log.push(`transport ${state}`));
  return {
    log,
    // `open` is never emitted before produceData() or consumeData() has resolved.
    untilOpen: async (endpoint) => {
      await once(endpoint, 'open', 20000);
      log.push('open');
    },
  };
}

/** Keeps the JS thread busy, as a loaded app's would be. */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Native callbacks queue up meanwhile.
  }
}

/** A send transport whose app is busy for `busyMs` before it answers each `producedata`. */
async function createBusyTransport(busyMs: number): Promise<Transport> {
  const params = await session.router.createWebRtcTransport();
  const transport = session.device.createSendTransport(params);
  signalConnectOnly(session, transport);
  transport.on('producedata', (parameters, callback, errback) => {
    session.router.produceData(transport.id, parameters).then(({ id }) => {
      busyFor(busyMs);
      callback({ id });
    }, errback);
  });
  return transport;
}

test(`the first DataProducer's open comes after its transport's connectionstatechange 'connected', on ${RUNS} fresh send transports whose app is busy before it answers producedata`, async () => {
  const logs: string[][] = [];
  for (let run = 0; run < RUNS; run++) {
    const transport = await createBusyTransport(50);
    const recorded = recordFrom(transport);
    await recorded.untilOpen(await transport.produceData({ label: `run ${run}` }));
    logs.push(recorded.log);
    transport.close();
  }

  expect(logs).toEqual(
    Array.from({ length: RUNS }, () => ['transport connecting', 'transport connected', 'open']),
  );
});

test(`the first DataConsumer's open comes after its transport's connectionstatechange 'connected', on ${RUNS} fresh recv transports`, async () => {
  const routerProducer: RouterDataProducer = await produceOnRouter(session.router, {
    label: 'from-router',
  });
  const logs: string[][] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const transport = await createRecvTransport(session);
      const recorded = recordFrom(transport);
      const { dataConsumer } = await consumeFromRouter(session, transport, routerProducer.id);
      await recorded.untilOpen(dataConsumer);
      logs.push(recorded.log);
      transport.close();
    }
  } finally {
    routerProducer.close();
  }

  expect(logs).toEqual(
    Array.from({ length: RUNS }, () => ['transport connecting', 'transport connected', 'open']),
  );
});

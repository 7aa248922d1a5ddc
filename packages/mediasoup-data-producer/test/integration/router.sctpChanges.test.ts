// What changed on the wire in mediasoup 3.28 to 3.32 for data channels, on every router (the
// expectations say which version does what):
// - 3.29 announces SCTP zero checksum (RFC 9653) on WebRtcTransports by default
//   ('sctp-over-dtls'); libdatachannel accepts it (SCTP_ACCEPT_ZERO_CHECKSUM), so from 3.29
//   both sides leave the CRC32c out unless the router is told otherwise ('none', or
//   'trusted-network', which libdatachannel does not announce). Messages reach the router
//   and the other client whichever the mode. (mediasoup does not report whether the
//   association uses zero checksums: its usesZeroChecksum metric is internal.)
// - 3.28 keeps `maxRetransmits: 0` (and `maxPacketLifeTime: 0`) as given: a DataProducer
//   that asks for no retransmissions gets DataConsumers that say so, where older routers
//   dropped the 0 and gave consumers a stream without partial reliability.
import type { DataConsumer, DataProducer, Transport, types } from 'mediasoup-data-producer';
import type { LocalTransportOptions, SctpZeroChecksum } from 'mediasoup-local-router';

import { consumeFromRouter, type RouterDataConsumer } from '@test-support/routerSide.js';
import {
  createTransport,
  once,
  openProducer,
  routerVersionAtLeast,
  signalConnectOnly,
  useSessionPerFile,
  type Session,
} from '@test-support/session.js';

jest.setTimeout(60000);

let session!: Session;
useSessionPerFile((started) => (session = started));

const ZERO_CHECKSUM = routerVersionAtLeast('3.29.0');
const ZERO_0_KEPT = routerVersionAtLeast('3.28.0');

/** A recv transport on a router transport made with `router` options. */
async function createRecvTransport(router: LocalTransportOptions = {}): Promise<Transport> {
  const params = await session.router.createWebRtcTransport(router);
  const transport = session.device.createRecvTransport(params);
  signalConnectOnly(session, transport);
  return transport;
}

/** Resolves with the texts of the next `count` messages of `dataConsumer`. */
function nextTexts(dataConsumer: DataConsumer, count: number): Promise<string[]> {
  const texts: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      dataConsumer.off('message', onMessage);
      reject(new Error(`only ${texts.length} of ${count} messages in 20000 ms`));
    }, 20000);
    const onMessage = (message: types.DataConsumerMessage): void => {
      texts.push(
        typeof message === 'string'
          ? message
          : `(binary ${String(message instanceof Blob ? message.size : message.byteLength)} B)`,
      );
      if (texts.length < count) return;
      clearTimeout(timer);
      dataConsumer.off('message', onMessage);
      resolve(texts);
    };
    dataConsumer.on('message', onMessage);
  });
}

/**
 * A DataProducer on a send transport and a DataConsumer of it on a recv transport, both
 * made with `router` options, open: client → router → client.
 */
async function clientToClient(
  router: LocalTransportOptions,
  options: types.DataProducerOptions = {},
): Promise<{
  dataProducer: DataProducer;
  dataConsumer: DataConsumer;
  routerConsumer: RouterDataConsumer;
}> {
  const sendTransport = await createTransport(session, { router });
  const dataProducer = await openProducer(sendTransport, options);
  const recvTransport = await createRecvTransport(router);
  const { dataConsumer, routerConsumer } = await consumeFromRouter(
    session,
    recvTransport,
    dataProducer.id,
  );
  if (dataConsumer.readyState !== 'open') await once(dataConsumer, 'open', 20000);
  return { dataProducer, dataConsumer, routerConsumer };
}

const modes: (SctpZeroChecksum | undefined)[] = ZERO_CHECKSUM
  ? [undefined, 'sctp-over-dtls', 'trusted-network', 'none']
  : [undefined];

test.each(modes.map((mode) => [mode ?? "the router's default", mode] as const))(
  'client → router → client with sctpZeroChecksum %s: every message reaches the router and the other client, in order',
  async (_, sctpZeroChecksum) => {
    const router = sctpZeroChecksum === undefined ? {} : { sctpZeroChecksum };
    const { dataProducer, dataConsumer } = await clientToClient(router);
    const sent = Array.from({ length: 200 }, (_unused, i) => `m${i}`);

    const arriving = nextTexts(dataConsumer, sent.length);
    for (const text of sent) dataProducer.send(text);

    expect(await arriving).toEqual(sent);
    // The router's DirectTransport consumer got them too: the client → router leg.
    await session.router.waitForMessages(sent.length, { dataProducerId: dataProducer.id });
    expect(
      session.router.messagesOf(dataProducer.id).map((message) => message.data.toString()),
    ).toEqual(sent);
  },
);

(ZERO_CHECKSUM ? test : test.skip)(
  "LocalRouter.createWebRtcTransport() with an sctpZeroChecksum that is none of mediasoup's throws TypeError naming them",
  async () => {
    await expect(
      session.router.createWebRtcTransport({
        sctpZeroChecksum: 'crc' as unknown as SctpZeroChecksum,
      }),
    ).rejects.toThrow(
      new TypeError(
        "sctpZeroChecksum must be one of 'sctp-over-dtls', 'trusted-network', 'none', got crc",
      ),
    );
  },
);

(ZERO_CHECKSUM ? test.skip : test)(
  'LocalRouter.createWebRtcTransport() with sctpZeroChecksum on a router older than 3.29 throws TypeError',
  async () => {
    await expect(
      session.router.createWebRtcTransport({ sctpZeroChecksum: 'none' }),
    ).rejects.toThrow(
      new TypeError(
        `sctpZeroChecksum needs mediasoup >= 3.29: mediasoup ${session.router.mediasoupVersion} always checksums SCTP packets`,
      ),
    );
  },
);

test(`transport.produceData({ maxRetransmits: 0 }) gives its consumers ${ZERO_0_KEPT ? 'maxRetransmits 0 (mediasoup >= 3.28 keeps the 0)' : 'no maxRetransmits (mediasoup < 3.28 drops the 0)'}, and messages arrive`, async () => {
  const { dataProducer, dataConsumer, routerConsumer } = await clientToClient(
    {},
    { maxRetransmits: 0 },
  );
  const { streamId, ...stream } = routerConsumer.sctpStreamParameters;

  expect(dataProducer.sctpStreamParameters).toMatchObject({ ordered: false, maxRetransmits: 0 });
  expect(dataConsumer.sctpStreamParameters).toEqual({ streamId, ...stream });
  expect({
    ordered: stream.ordered,
    maxRetransmits: stream.maxRetransmits,
    maxPacketLifeTime: stream.maxPacketLifeTime,
  }).toEqual(
    ZERO_0_KEPT
      ? { ordered: false, maxRetransmits: 0, maxPacketLifeTime: undefined }
      : { ordered: false, maxRetransmits: undefined, maxPacketLifeTime: undefined },
  );
  // Loopback loses nothing: the stream works either way.
  const arriving = nextTexts(dataConsumer, 20);
  for (let i = 0; i < 20; i++) dataProducer.send(`r${i}`);
  expect((await arriving).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
});

test(`transport.produceData({ maxPacketLifeTime: 0 }) gives its consumers ${ZERO_0_KEPT ? 'maxPacketLifeTime 0' : 'no maxPacketLifeTime'}`, async () => {
  const { dataConsumer, routerConsumer } = await clientToClient({}, { maxPacketLifeTime: 0 });

  expect(routerConsumer.sctpStreamParameters.maxPacketLifeTime).toBe(ZERO_0_KEPT ? 0 : undefined);
  expect(dataConsumer.sctpStreamParameters).toEqual(routerConsumer.sctpStreamParameters);
});

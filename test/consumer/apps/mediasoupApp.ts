// An app's code with mediasoup's own objects on one side and this library on the other, as
// in mediasoup-demo (server: mediasoup; bot: this library), with no cast anywhere:
// test/consumer/mediasoupTypes.test.ts compiles it under `--strict` against the type
// declarations of each router version the project supports, and against the built
// declarations of this library (dist/types). Run `npm run build` first.
import type { types as mediasoupTypes } from 'mediasoup';
import {
  Device,
  type DataConsumer,
  type DataProducer,
  type Transport,
} from 'mediasoup-data-producer';

type Router = mediasoupTypes.Router;
type WebRtcTransport = mediasoupTypes.WebRtcTransport;
type RouterDataConsumer = mediasoupTypes.DataConsumer;

/** The router's WebRtcTransport, as the server sends it in `createWebRtcTransport`'s answer. */
function transportOptions(webRtcTransport: WebRtcTransport): {
  id: string;
  iceParameters: WebRtcTransport['iceParameters'];
  iceCandidates: WebRtcTransport['iceCandidates'];
  dtlsParameters: WebRtcTransport['dtlsParameters'];
  sctpParameters: WebRtcTransport['sctpParameters'];
} {
  return {
    id: webRtcTransport.id,
    iceParameters: webRtcTransport.iceParameters,
    iceCandidates: webRtcTransport.iceCandidates,
    dtlsParameters: webRtcTransport.dtlsParameters,
    sctpParameters: webRtcTransport.sctpParameters,
  };
}

/** The bot's device, loaded with the router's capabilities; its own go into `canConsume()`. */
export async function loadDevice(router: Router, producerId: string): Promise<Device> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const canConsume: boolean = router.canConsume({
    producerId,
    rtpCapabilities: device.rtpCapabilities,
  });
  if (canConsume) throw new Error('a data-only device consumes no media');
  return device;
}

/** A send transport signaled straight into the router's WebRtcTransport. */
export async function produceThroughRouter(
  device: Device,
  webRtcTransport: WebRtcTransport,
): Promise<DataProducer> {
  const transport: Transport = device.createSendTransport({
    id: webRtcTransport.id,
    iceParameters: webRtcTransport.iceParameters,
    iceCandidates: webRtcTransport.iceCandidates,
    dtlsParameters: webRtcTransport.dtlsParameters,
    sctpParameters: webRtcTransport.sctpParameters,
  });
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    webRtcTransport.connect({ dtlsParameters }).then(callback, errback);
  });
  transport.on(
    'producedata',
    ({ sctpStreamParameters, label, protocol, appData }, callback, errback) => {
      webRtcTransport
        .produceData({ sctpStreamParameters, label, protocol, appData })
        .then((dataProducer) => {
          callback({ id: dataProducer.id });
        }, errback);
    },
  );
  return transport.produceData({ label: 'chat', protocol: 'json' });
}

/** A recv transport taking the router's DataConsumer as the server describes it. */
export async function consumeThroughRouter(
  device: Device,
  webRtcTransport: WebRtcTransport,
  dataConsumer: RouterDataConsumer,
): Promise<DataConsumer> {
  const transport = device.createRecvTransport(transportOptions(webRtcTransport));
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    webRtcTransport.connect({ dtlsParameters }).then(callback, errback);
  });
  return transport.consumeData({
    id: dataConsumer.id,
    dataProducerId: dataConsumer.dataProducerId,
    sctpStreamParameters: dataConsumer.sctpStreamParameters,
    label: dataConsumer.label,
    protocol: dataConsumer.protocol,
    appData: dataConsumer.appData,
  });
}

// A browser app's data path typed with mediasoup-client's own declarations, handed to this
// library with no cast: test/consumer/mediasoupTypes.test.ts compiles it under `--strict`
// (with the DOM library, which mediasoup-client's declarations use) against the built
// declarations of this library (dist/types). Run `npm run build` first.
import type { types as clientTypes } from 'mediasoup-client';
import { Device, type DataConsumer, type DataProducer } from 'mediasoup-data-producer';

/** What a browser app passes, typed as mediasoup-client types it. */
export interface BrowserAppOptions {
  handlerName?: clientTypes.BuiltinHandlerName;
  routerRtpCapabilities: clientTypes.RtpCapabilities;
  sendTransportOptions: clientTypes.TransportOptions;
  recvTransportOptions: clientTypes.TransportOptions;
  dataProducerOptions: clientTypes.DataProducerOptions;
  dataConsumerOptions: clientTypes.DataConsumerOptions;
}

export async function browserDataPath(
  options: BrowserAppOptions,
): Promise<{ dataProducer: DataProducer; dataConsumer: DataConsumer }> {
  const device = new Device({ handlerName: options.handlerName });
  const sameDevice: Device = await Device.factory({ handlerName: options.handlerName });
  console.log(sameDevice.handlerName);
  await device.load({
    routerRtpCapabilities: options.routerRtpCapabilities,
    preferLocalCodecsOrder: false,
  });
  // The join of mediasoup-demo: what this device can receive and its SCTP streams.
  const rtpCapabilities: clientTypes.RtpCapabilities = device.rtpCapabilities;
  const sctpCapabilities: clientTypes.SctpCapabilities = device.sctpCapabilities;
  console.log(rtpCapabilities, sctpCapabilities);

  const sendTransport = device.createSendTransport({
    ...options.sendTransportOptions,
    iceServers: [],
    iceTransportPolicy: 'all',
    additionalSettings: { bundlePolicy: 'max-bundle' },
    proprietaryConstraints: { optional: [{ googDscp: true }] },
  });
  sendTransport.on('icegatheringstatechange', (state: clientTypes.IceGatheringState) => {
    console.log(state, sendTransport.iceGatheringState);
  });
  sendTransport.on('connectionstatechange', (state: clientTypes.ConnectionState) => {
    console.log(state);
  });
  const dataProducer = await sendTransport.produceData({
    ...options.dataProducerOptions,
    priority: 'high',
  });

  const recvTransport = device.createRecvTransport(options.recvTransportOptions);
  recvTransport.on('connect', ({ dtlsParameters }, callback) => {
    const forServer: clientTypes.DtlsParameters = dtlsParameters;
    console.log(forServer);
    callback();
  });
  recvTransport.observer.on('newdataconsumer', (dataConsumer) => {
    console.log(dataConsumer.id);
  });
  const dataConsumer = await recvTransport.consumeData({
    ...options.dataConsumerOptions,
    binaryType: 'arraybuffer',
  });
  dataConsumer.on('message', (data) => {
    console.log(typeof data === 'string' ? data.length : data.byteLength);
  });
  return { dataProducer, dataConsumer };
}

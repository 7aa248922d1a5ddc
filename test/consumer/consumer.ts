// A consumer's code against the built package: test/consumer/types.test.ts compiles it with
// `tsc --noEmit --strict` (and skipLibCheck off), resolving 'mediasoup-data-producer' by
// its package.json "exports" to dist/types. Each @ts-expect-error proves that a type is
// real, not `any`: tsc fails on a directive with no error under it.
import {
  DataConsumer,
  DataProducer,
  Device,
  FakeHandler,
  InvalidStateError,
  OperationError,
  Transport,
  UnsupportedError,
  types,
  version,
} from 'mediasoup-data-producer';
import {
  ReceiverChecker,
  signalThrough,
  type ReceiverReport,
  type SignalingAdapter,
  type SignalingAdapterFactory,
} from 'mediasoup-data-producer-cli';
import {
  LocalRouter,
  type LocalTransportParameters,
  type ReceivedMessage,
} from 'mediasoup-local-router';

interface RoomAppData extends types.AppData {
  room: string;
}

interface ChatAppData extends types.AppData {
  channel: 'chat' | 'telemetry';
}

export const packageVersion: string = version;

/** Where values go that are only here to be typed. */
export const seen: unknown[] = [];

export async function sendOnce(
  router: LocalRouter,
  params: LocalTransportParameters,
): Promise<DataProducer<ChatAppData>> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: router.rtpCapabilities });
  const loaded: boolean = device.loaded;
  const capabilities: types.SctpCapabilities = device.sctpCapabilities;
  const streams: number = capabilities.numStreams.OS + capabilities.numStreams.MIS;
  device.observer.on('newtransport', (transport: Transport) => {
    const direction: 'send' | 'recv' = transport.direction;
    seen.push(direction);
  });

  const options: types.TransportOptions<RoomAppData> = {
    ...params,
    iceServers: [{ urls: 'turn:127.0.0.1:3478?transport=udp', username: 'u', credential: 'c' }],
    iceTransportPolicy: 'relay',
    appData: { room: 'lobby' },
    signalingTimeout: 5000,
  };
  const transport: Transport<RoomAppData> = device.createSendTransport(options);
  const room: string = transport.appData.room;
  transport.appData = { room: `${room}-2` };

  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    const role: types.DtlsRole | undefined = dtlsParameters.role;
    const fingerprint: types.DtlsFingerprint | undefined = dtlsParameters.fingerprints[0];
    seen.push(role, fingerprint);
    router.connect(transport.id, { dtlsParameters }).then(callback, errback);
  });
  transport.on('producedata', (parameters: types.ProduceDataParameters, callback, errback) => {
    const { sctpStreamParameters, label, protocol, appData } = parameters;
    const streamId: number = sctpStreamParameters.streamId;
    seen.push(streamId);
    router
      .produceData(transport.id, { sctpStreamParameters, label, protocol, appData })
      .then(({ id }) => {
        callback({ id });
      }, errback);
  });
  transport.on('connectionstatechange', (state: types.ConnectionState) => {
    if (state === 'failed') transport.close();
  });
  transport.observer.on('newdataproducer', (dataProducer: DataProducer) => {
    dataProducer.observer.on('close', () => undefined);
  });

  const dataProducer = await transport.produceData<ChatAppData>({
    ordered: false,
    maxRetransmits: 3,
    label: 'chat',
    protocol: 'json',
    appData: { channel: 'chat' },
    maxBufferedAmount: 1 << 20,
  });
  const channel: 'chat' | 'telemetry' = dataProducer.appData.channel;
  const state: types.DataProducerReadyState = dataProducer.readyState;
  const parameters: types.SctpStreamParameters = dataProducer.sctpStreamParameters;
  dataProducer.on('open', () => {
    dataProducer.send('text');
    dataProducer.send(new Uint8Array([1, 2, 3]));
    dataProducer.send(new ArrayBuffer(4));
    dataProducer.send(new DataView(new ArrayBuffer(2)));
    dataProducer.send(Buffer.from('buffer'));
  });
  dataProducer.on('error', (error: Error) => {
    if (error instanceof InvalidStateError || error instanceof OperationError) return;
    if (error instanceof UnsupportedError) return;
  });
  dataProducer.bufferedAmountLowThreshold = 65536;
  const buffered: number = dataProducer.bufferedAmount;

  const stats: Map<string, types.TransportStat> = await transport.getStats();
  for (const stat of stats.values()) {
    const type: string = stat.type;
    seen.push(type);
  }
  const messages: ReceivedMessage[] = router.messagesOf(dataProducer.id);
  seen.push(loaded, streams, channel, state, parameters, buffered, messages);

  // @ts-expect-error a transport's direction is 'send' or 'recv'
  const recv: 'both' = transport.direction;
  const answer = (callback: (result: { id: string }) => void): void => {
    // @ts-expect-error the producedata callback needs { id }
    callback({});
  };
  transport.on('producedata', (_parameters, callback) => {
    answer(callback);
  });
  // @ts-expect-error no such event
  transport.on('newproducer', () => undefined);
  // @ts-expect-error the DataProducer's appData is typed
  const wrong: number = dataProducer.appData.channel;
  // @ts-expect-error iceTransportPolicy is 'all' or 'relay'
  const policy: types.IceTransportPolicy = 'none';
  // @ts-expect-error maxRetransmits is a number
  await transport.produceData({ maxRetransmits: '3' });
  // @ts-expect-error send() takes no numbers
  dataProducer.send(42);
  // @ts-expect-error a Transport comes from device.createSendTransport(), with its options
  const bare = new Transport();
  // @ts-expect-error a DataProducer comes from transport.produceData()
  const bareProducer = new DataProducer();
  seen.push(recv, wrong, policy, bare, bareProducer);

  return dataProducer;
}

/** A recv transport's DataConsumer, as an app that receives from the router types it. */
export async function receiveOnce(
  params: types.TransportOptions,
  fromRouter: {
    id: string;
    dataProducerId: string;
    sctpStreamParameters: types.SctpStreamParameters;
  },
): Promise<DataConsumer<ChatAppData>> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: {} });
  const transport: Transport = device.createRecvTransport(params);
  transport.on('connect', (_parameters, callback) => {
    callback();
  });
  transport.observer.on('newdataconsumer', (dataConsumer: DataConsumer) => {
    dataConsumer.observer.on('close', () => undefined);
  });
  const options: types.DataConsumerOptions<ChatAppData> = {
    ...fromRouter,
    label: 'chat',
    protocol: 'json',
    appData: { channel: 'chat' },
  };
  const dataConsumer = await transport.consumeData<ChatAppData>(options);
  const channel: 'chat' | 'telemetry' = dataConsumer.appData.channel;
  const state: types.DataConsumerReadyState = dataConsumer.readyState;
  const parameters: types.SctpStreamParameters = dataConsumer.sctpStreamParameters;
  const producerId: string = dataConsumer.dataProducerId;
  dataConsumer.binaryType = 'nodebuffer';
  const binaryType: types.DataConsumerBinaryType = dataConsumer.binaryType;
  dataConsumer.on('message', (message: types.DataConsumerMessage) => {
    if (typeof message === 'string') seen.push(message.length);
    else if (Buffer.isBuffer(message)) seen.push(message.readUInt8(0));
    else if (message instanceof ArrayBuffer) seen.push(message.byteLength);
    else seen.push(message.size);
  });
  dataConsumer.on('transportclose', () => undefined);
  dataConsumer.on('error', (error: Error) => seen.push(error.message));
  seen.push(channel, state, parameters, producerId, binaryType);

  // @ts-expect-error binaryType is 'arraybuffer', 'blob' or 'nodebuffer'
  dataConsumer.binaryType = 'text';
  // binaryType given to consumeData() types each message: `byteLength` compiles.
  const arrayBuffers = await transport.consumeData({ ...fromRouter, binaryType: 'arraybuffer' });
  arrayBuffers.on('message', (data) => {
    seen.push(typeof data === 'string' ? data.length : data.byteLength);
  });
  const buffers = await transport.consumeData({ ...fromRouter, binaryType: 'nodebuffer' });
  buffers.on('message', (data) => {
    if (typeof data !== 'string') seen.push(data.readUInt8(0));
  });
  dataConsumer.on('message', (data) => {
    // @ts-expect-error without binaryType, a message may be a Blob, which has no byteLength
    seen.push(typeof data === 'string' ? data.length : data.byteLength);
  });
  // @ts-expect-error the binaryType given to consumeData() is the one it keeps
  arrayBuffers.binaryType = 'blob';
  // Still a DataConsumer wherever one is expected (the transport's observer gives them so).
  const asAnyConsumer: DataConsumer = arrayBuffers;
  seen.push(asAnyConsumer);
  // @ts-expect-error a message is not a number
  dataConsumer.on('message', (message: number) => seen.push(message));
  // @ts-expect-error consumeData() needs the router's sctpStreamParameters
  await transport.consumeData({ id: 'dc', dataProducerId: 'dp' });
  // @ts-expect-error a DataConsumer comes from transport.consumeData()
  const bareConsumer = new DataConsumer();
  seen.push(bareConsumer);
  return dataConsumer;
}

/** A unit test of an app's code on FakeHandler: no router, no network. */
export async function unitTestOnFakeHandler(params: types.TransportOptions): Promise<string> {
  const factory: types.HandlerFactory = FakeHandler.createFactory({ autoConnect: false });
  const options: types.DeviceOptions = { handlerFactory: factory };
  const device = new Device(options);
  const name: string = device.handlerName;
  await device.load({ routerRtpCapabilities: {} });
  const transport = device.createSendTransport(params);
  transport.on('connect', (_parameters, callback) => {
    callback();
  });
  transport.on('producedata', (_parameters, callback) => {
    callback({ id: 'dp' });
  });
  const handler: types.HandlerInterface = transport.handler;
  const dataProducer = await transport.produceData();
  if (handler instanceof FakeHandler) {
    handler.setConnectionState('connected');
    const fake: types.FakeDataChannel | undefined = handler.dataChannels[0];
    fake?.stall();
    dataProducer.send('x');
    fake?.drain();
    fake?.simulateClose();
    const sent: (string | Uint8Array)[] = fake?.sent ?? [];
    const run: types.HandlerRunOptions | undefined = handler.runOptions;
    seen.push(sent, run);
  }
  const stats: types.HandlerTransportStats = await handler.getTransportStats();
  // @ts-expect-error a handler factory is a function, not a handler
  const notAFactory: types.DeviceOptions = { handlerFactory: new FakeHandler() };
  // @ts-expect-error FakeHandler has no such option
  FakeHandler.createFactory({ autoOpen: false });
  seen.push(stats, notAFactory);
  return name;
}

/** An app's own signaling adapter for `mediasoup-data-producer load`, reporting receipts. */
export const createAdapter: SignalingAdapterFactory = ({ url }) => {
  const checker = new ReceiverChecker();
  const request = (method: string, data: object): Promise<never> =>
    Promise.reject(new Error(`${url ?? 'no url'}: ${method} ${JSON.stringify(data)}`));
  const adapter: SignalingAdapter = {
    getRouterRtpCapabilities: () => request('getRouterRtpCapabilities', {}),
    createWebRtcTransport: (options) => request('createWebRtcTransport', options),
    connectWebRtcTransport: (options) => request('connectWebRtcTransport', options),
    produceData: async (options) => {
      const { id }: { id: string } = await request('produceData', options);
      checker.registerFromAppData(id, options.appData);
      return { id };
    },
    getReceiverStats: ({ runId }) => {
      const report: ReceiverReport | undefined = checker.report(runId);
      return Promise.resolve(report);
    },
  };
  // @ts-expect-error an adapter needs produceData()
  const incomplete: SignalingAdapter = {
    getRouterRtpCapabilities: () => request('getRouterRtpCapabilities', {}),
  };
  seen.push(incomplete);
  return adapter;
};

/** mediasoup's types are interfaces, which have no index signature. */
interface MediasoupRtpCapabilities {
  codecs?: { mimeType: string; clockRate: number }[];
  headerExtensions?: { uri: string }[];
}

/** A bot on a signaling adapter, as docs/cli.md shows it, loaded with mediasoup's types. */
export async function botOnAdapter(
  adapter: SignalingAdapter,
  rtpCapabilities: MediasoupRtpCapabilities,
): Promise<DataProducer> {
  const typed = new Device();
  await typed.load({ routerRtpCapabilities: rtpCapabilities });
  // @ts-expect-error the router's capabilities are an object, not a string
  seen.push(typed.load({ routerRtpCapabilities: 'rtpCapabilities' }));
  const device = new Device();
  await device.load({ routerRtpCapabilities: await adapter.getRouterRtpCapabilities() });
  const transport = device.createSendTransport(
    await adapter.createWebRtcTransport({ sctpCapabilities: device.sctpCapabilities }),
  );
  signalThrough(transport, adapter);
  return transport.produceData({ label: 'bot' });
}

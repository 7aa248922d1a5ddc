// Transports on FakeHandler: the library's logic without a router, a network or native code.
// The app's signaling is played here: `connect` and `producedata` are answered at once, as
// by a server that always agrees.
import {
  Device,
  FakeHandler,
  type DataConsumer,
  type DataProducer,
  type Transport,
  type types,
} from 'mediasoup-data-producer';

export { rejectionOf } from './outcomes.js';

/** What device.load() takes; this device only checks that it is an object. */
export const ROUTER_RTP_CAPABILITIES = { codecs: [], headerExtensions: [] };

/** A sha-256 fingerprint as a router gives it (never checked: nothing goes on a wire). */
export const ROUTER_FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  i.toString(16).toUpperCase().padStart(2, '0'),
).join(':');

let transports = 0;
const open: Transport[] = [];

/** Closes every transport fakeApp() made so far. */
export function closeFakeApps(): void {
  for (const transport of open.splice(0)) transport.close();
}

/**
 * For a test file that makes fakeApp()s: registers the afterEach() that closes every
 * transport its test made, so that none outlives it. Call it once, at the top of the file.
 */
export function useFakeApps(): void {
  afterEach(closeFakeApps);
}

/** A router's WebRtcTransport parameters as mediasoup 3.8 gives them, with a fresh id. */
export function routerTransportParameters(): types.TransportOptions {
  transports++;
  return {
    id: `fake-transport-${transports}`,
    iceParameters: {
      usernameFragment: 'ufrag1234',
      password: 'pwd1234567890abcdef',
      iceLite: true,
    },
    iceCandidates: [
      {
        foundation: 'udpcandidate',
        priority: 1076302079,
        ip: '127.0.0.1',
        address: '127.0.0.1',
        protocol: 'udp',
        port: 40000,
        type: 'host',
      },
    ],
    dtlsParameters: {
      role: 'auto',
      fingerprints: [{ algorithm: 'sha-256', value: ROUTER_FINGERPRINT }],
    },
    sctpParameters: { port: 5000, OS: 1024, MIS: 1024, maxMessageSize: 262144 },
  };
}

/** A loaded Device whose transports run on FakeHandler. */
export async function fakeDevice(options: types.FakeHandlerOptions = {}): Promise<Device> {
  const device = new Device({ handlerFactory: FakeHandler.createFactory(options) });
  await device.load({ routerRtpCapabilities: ROUTER_RTP_CAPABILITIES });
  return device;
}

export interface FakeApp {
  transport: Transport;
  handler: FakeHandler;
  /** Every `producedata` the app answered, with the id it gave. */
  produced: { id: string; parameters: types.ProduceDataParameters }[];
  /** Every `connect` the app answered. */
  connects: types.DtlsParameters[];
}

export interface FakeAppOptions {
  /** Overrides for the router's parameters given to createSendTransport(). */
  client?: Partial<types.TransportOptions>;
  /** Default true: connect and producedata listeners that answer at once. */
  answer?: boolean;
  handler?: types.FakeHandlerOptions;
  /** Default 'send'. A recv transport's app answers `connect` only. */
  direction?: 'send' | 'recv';
}

/** A transport on FakeHandler, with an app that answers its signaling at once. */
export async function fakeApp(options: FakeAppOptions = {}): Promise<FakeApp> {
  const device = await fakeDevice(options.handler);
  const parameters = { ...routerTransportParameters(), ...options.client };
  const transport =
    options.direction === 'recv'
      ? device.createRecvTransport(parameters)
      : device.createSendTransport(parameters);
  open.push(transport);
  const app: FakeApp = { transport, handler: handlerOf(transport), produced: [], connects: [] };
  if (options.answer === false) return app;
  transport.on('connect', ({ dtlsParameters }, callback) => {
    app.connects.push(dtlsParameters);
    callback();
  });
  if (options.direction === 'recv') return app;
  transport.on('producedata', (parameters, callback) => {
    const id = `router-data-producer-${app.produced.length + 1}`;
    app.produced.push({ id, parameters });
    callback({ id });
  });
  return app;
}

export function handlerOf(transport: Transport): FakeHandler {
  const handler = transport.handler;
  if (!(handler instanceof FakeHandler)) throw new Error('not a transport on FakeHandler');
  return handler;
}

/**
 * The fake native channel a DataProducer sends on or a DataConsumer receives on (the last one
 * made on its stream).
 */
export function channelOf(
  transport: Transport,
  dataChannelUser: DataProducer | DataConsumer,
): types.FakeDataChannel {
  const streamId = dataChannelUser.sctpStreamParameters.streamId;
  const channel = handlerOf(transport)
    .dataChannels.filter((c) => c.streamId === streamId)
    .at(-1);
  if (!channel) throw new Error(`no fake channel on stream ${streamId}`);
  return channel;
}

/** Every event a producer and its observer emit from now on, in order. */
export function recordProducerEvents(dataProducer: DataProducer): string[] {
  const log: string[] = [];
  for (const event of ['open', 'close', 'transportclose', 'bufferedamountlow'] as const) {
    dataProducer.on(event, () => log.push(event));
  }
  dataProducer.on('error', (error) => log.push(`error: ${error.message}`));
  dataProducer.observer.on('close', () => log.push('observer close'));
  return log;
}

let routerDataConsumers = 0;

/** What the router's DataConsumer on `streamId` tells the app, with a fresh id. */
export function routerDataConsumer(
  streamId: number,
  overrides: Partial<Omit<types.DataConsumerOptions, 'sctpStreamParameters'>> & {
    sctpStreamParameters?: types.SctpStreamParameters;
  } = {},
): types.DataConsumerOptions & { sctpStreamParameters: types.SctpStreamParameters } {
  routerDataConsumers++;
  return {
    id: `router-data-consumer-${routerDataConsumers}`,
    dataProducerId: `router-data-producer-of-${routerDataConsumers}`,
    sctpStreamParameters: { streamId, ordered: true },
    label: 'chat',
    protocol: 'json',
    ...overrides,
  };
}

/** Every event a consumer and its observer emit from now on, in order (not `message`). */
export function recordConsumerEvents(dataConsumer: DataConsumer): string[] {
  const log: string[] = [];
  for (const event of ['open', 'close', 'transportclose'] as const) {
    dataConsumer.on(event, () => log.push(event));
  }
  dataConsumer.on('error', (error) => log.push(`error: ${error.message}`));
  dataConsumer.observer.on('close', () => log.push('observer close'));
  return log;
}

/** Every message a consumer emits from now on. */
export function recordMessages(dataConsumer: DataConsumer): types.DataConsumerMessage[] {
  const messages: types.DataConsumerMessage[] = [];
  dataConsumer.on('message', (message) => messages.push(message));
  return messages;
}

/** Lets every callback the fake (and node-datachannel) defers to setImmediate run. */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Text of what a fake channel was sent, binary decoded as UTF-8. */
export function texts(channel: types.FakeDataChannel): string[] {
  return channel.sent.map((m) => (typeof m === 'string' ? m : Buffer.from(m).toString()));
}

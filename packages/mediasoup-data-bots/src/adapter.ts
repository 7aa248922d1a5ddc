// The signaling adapter: the four requests a bot needs from a mediasoup app, whatever its
// own signaling is, and the optional ones (consuming, closing, the receiving side's
// figures). The command line's `load --signaling <module>` and the Artillery engine's
// `signaling:` load one from a module with importAdapterModule().

import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

import type {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  SctpCapabilities,
  SctpParameters,
  SctpStreamParameters,
} from './libraryTypes.js';
import { errorMessage } from './errors.js';
import { importModule } from './importModule.js';
import type { ReceiverReport } from './receiver.js';

/** What the app's `router.createWebRtcTransport()` returned: `device.createSendTransport()` takes it. */
export interface WebRtcTransportParameters {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
  sctpParameters: SctpParameters;
}

export interface ProduceDataRequest {
  transportId: string;
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
  /** Includes `mdpRunId` (the run's id), `transport` and `producer` (their indexes). */
  appData: Record<string, unknown>;
}

/** Which way a transport carries data: the client's send or recv transport. */
export type TransportDirection = 'send' | 'recv';

export interface CreateWebRtcTransportRequest {
  sctpCapabilities: SctpCapabilities;
  /**
   * 'send' (the default when absent) for a transport the client produces on, 'recv' for one
   * it consumes on: an app may create them differently.
   */
  direction?: TransportDirection;
}

export interface ConsumeDataRequest {
  /** The client's recv transport (one from createWebRtcTransport with direction 'recv'). */
  transportId: string;
  /** The router's DataProducer to consume. */
  dataProducerId: string;
}

/**
 * What the server's `transport.consumeData({ dataProducerId })` made: the client's
 * `recvTransport.consumeData()` takes it.
 */
export interface ConsumeDataResult {
  /** The router's DataConsumer id. */
  id: string;
  dataProducerId: string;
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
}

export interface ListDataProducersRequest {
  /** The room: the `room` of the DataProducers' appData (what produceData was given). */
  room: string;
}

/** A DataProducer of a room, as listDataProducers() tells it: what consumeData() needs. */
export interface DataProducerInfo {
  /** The router's DataProducer id. */
  id: string;
  label: string;
  protocol: string;
  /** As given to produceData (includes `room`). */
  appData: Record<string, unknown>;
}

/**
 * The signaling adapter interface. The first four methods are required; the others are
 * optional and only make the report richer.
 */
export interface SignalingAdapter {
  /** `router.rtpCapabilities`. */
  getRouterRtpCapabilities(): Promise<object>;
  /** `router.createWebRtcTransport({ ..., enableSctp: true, numSctpStreams: sctpCapabilities.numStreams })`. */
  createWebRtcTransport(options: CreateWebRtcTransportRequest): Promise<WebRtcTransportParameters>;
  /** `transport.connect({ dtlsParameters })` on the server side. */
  connectWebRtcTransport(options: {
    transportId: string;
    dtlsParameters: DtlsParameters;
  }): Promise<void>;
  /** `transport.produceData({ sctpStreamParameters, label, protocol, appData })`; resolves with its id. */
  produceData(options: ProduceDataRequest): Promise<{ id: string }>;
  /**
   * Optional, needed to consume (`--consumers`, `--room-size`): the server's
   * `transport.consumeData({ dataProducerId })` on the client's recv transport.
   */
  consumeData?(options: ConsumeDataRequest): Promise<ConsumeDataResult>;
  /** Optional: close the server's DataConsumer once the client has closed its own. */
  closeDataConsumer?(options: { dataConsumerId: string }): Promise<void>;
  /**
   * Optional, for clients that consume a room's producers (the Artillery engine's
   * consumeData step): the open DataProducers whose appData.room is `room`, the caller's own
   * included. An app that announces producers to its peers ("newDataProducer"
   * notifications) can answer from what it was told, without a request.
   */
  listDataProducers?(options: ListDataProducersRequest): Promise<DataProducerInfo[]>;
  /** Called once at the end: release whatever the adapter holds (sockets, ...). */
  close?(): Promise<void>;
  /** Optional: close the server's transport once the client has closed its own. */
  closeTransport?(options: { transportId: string }): Promise<void>;
  /**
   * Optional: what the receiving side saw of the run (see ReceiverChecker). With it the
   * summary has received, lost, out-of-order and latency figures.
   */
  getReceiverStats?(options: { runId: string }): Promise<ReceiverReport | undefined>;
  /** Optional: CPU seconds the mediasoup worker has used so far. */
  workerCpuSeconds?(): Promise<number>;
  /**
   * Optional: a signaling session of its own for one bot, for apps where each participant
   * is its own peer (its own connection, peer id and join, as in mediasoup-demo). Each bot
   * then signals through its session and closes it when it closes; without openSession
   * every bot signals through the adapter itself.
   */
  openSession?(info: BotSessionInfo): Promise<SignalingSession>;
}

/** Who a signaling session is for. */
export interface BotSessionInfo {
  /** The bot's id: a peer id for the app. */
  botId: string;
  /** The bot's room, when it has one. */
  room: string | undefined;
  /** What the driver gives besides (Artillery: the virtual user's variables). */
  vars: Record<string, unknown>;
}

/**
 * A DataConsumer the app made on the bot's recv transport and tells it to consume
 * (mediasoup-demo's `newDataConsumer`): what `recvTransport.consumeData()` takes.
 */
export interface PushedDataConsumer extends ConsumeDataResult {
  appData: Record<string, unknown>;
}

/**
 * Consumes a pushed DataConsumer; resolves once the bot's DataConsumer exists (the app's
 * answer), rejects when the bot cannot consume it.
 */
export type DataConsumerHandler = (consumer: PushedDataConsumer) => Promise<void>;

/** One bot's signaling: the adapter's requests, on the bot's own connection. */
export interface SignalingSession extends Omit<
  SignalingAdapter,
  'openSession' | 'getReceiverStats' | 'workerCpuSeconds'
> {
  /**
   * Optional, for apps that push consumers: the bot gives the handler that consumes what
   * the app pushes. Pulling (listDataProducers + consumeData) stays for apps that list.
   */
  onDataConsumer?(handler: DataConsumerHandler): void;
}

/** The environment variable that stands in for --signaling-url. */
export const SIGNALING_URL_ENV = 'MDP_SIGNALING_URL';

/** What an adapter factory receives. */
export interface SignalingAdapterContext {
  /** --signaling-url, or the MDP_SIGNALING_URL environment variable. */
  url: string | undefined;
  env: NodeJS.ProcessEnv;
}

export type SignalingAdapterFactory = (
  context: SignalingAdapterContext,
) => SignalingAdapter | Promise<SignalingAdapter>;

const REQUIRED_METHODS = [
  'getRouterRtpCapabilities',
  'createWebRtcTransport',
  'connectWebRtcTransport',
  'produceData',
] as const;

/** A module that is no signaling adapter, or an adapter that lacks a required method. */
export class AdapterModuleError extends Error {
  override name = 'AdapterModuleError';
}

export function isAdapter(value: unknown): value is SignalingAdapter {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return REQUIRED_METHODS.every((m) => typeof record[m] === 'function');
}

function missingMethods(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [...REQUIRED_METHODS];
  const record = value as Record<string, unknown>;
  return REQUIRED_METHODS.filter((m) => typeof record[m] !== 'function');
}

/**
 * Finds the factory or adapter a module exports: `createAdapter` (a function), a default
 * export that is a function or an adapter object, or the module's own named methods.
 */
export function pickAdapterExport(
  mod: unknown,
): SignalingAdapterFactory | SignalingAdapter | undefined {
  const candidates: unknown[] = [];
  const push = (value: unknown): void => {
    if (value !== undefined && value !== null) candidates.push(value);
  };
  const record = (typeof mod === 'object' && mod !== null ? mod : {}) as Record<string, unknown>;
  const def = record.default as Record<string, unknown> | undefined;
  push(record.createAdapter);
  if (def && typeof def === 'object') {
    push(def.createAdapter);
    push(def.default);
  }
  push(def);
  push(mod);
  for (const candidate of candidates) {
    if (typeof candidate === 'function') return candidate as SignalingAdapterFactory;
    if (isAdapter(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Imports an adapter module and returns its adapter (or factory). Throws AdapterModuleError;
 * the caller names where the path came from (a flag, a YAML field).
 */
export async function importAdapterModule(
  path: string,
): Promise<SignalingAdapterFactory | SignalingAdapter> {
  let mod: unknown;
  try {
    mod = await importModule(pathToFileURL(path).href);
  } catch (error) {
    const ext = extname(path);
    const hint =
      ext === '.ts' || ext === '.mts' || ext === '.cts'
        ? ' (a TypeScript module needs a loader: run node with `--import tsx`, or `npx tsx`)'
        : '';
    throw new AdapterModuleError(`could not load ${path}: ${errorMessage(error)}${hint}`);
  }
  const picked = pickAdapterExport(mod);
  if (!picked) {
    throw new AdapterModuleError(
      `${path} exports no signaling adapter: export a function createAdapter(context) ` +
        `(or a default export) returning an object with ${REQUIRED_METHODS.join('(), ')}()`,
    );
  }
  return picked;
}

/** Calls the factory (if it is one) and checks that the result is an adapter (else AdapterModuleError). */
export async function instantiateAdapter(
  picked: SignalingAdapterFactory | SignalingAdapter,
  context: SignalingAdapterContext,
  source: string,
): Promise<SignalingAdapter> {
  const adapter = typeof picked === 'function' ? await picked(context) : picked;
  if (!isAdapter(adapter)) {
    throw new AdapterModuleError(
      `the adapter from ${source} lacks ${missingMethods(adapter).join('(), ')}()`,
    );
  }
  return adapter;
}

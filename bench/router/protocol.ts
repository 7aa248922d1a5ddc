// The messages between the benchmark (parent) and the router host (child process).
import type { LocalTransportOptions, ProduceDataParams } from 'mediasoup-local-router';
import type { ConsumeParams, TransportParams } from '../clients/types.js';
import type { RouterSendReport, RouterSendOptions } from '../lib/routerPacing.js';

/** What the router host counted for one DataProducer since `track()`. */
export interface ProducerStats {
  dataProducerId: string;
  count: number;
  bytes: number;
  /** Messages whose sequence number was not the previous one + 1 (the first must be 0). */
  orderErrors: number;
  /** Messages whose length was not the expected size, or too short to carry a header. */
  sizeErrors: number;
  /** Messages that were not binary (PPID 53). */
  ppidErrors: number;
  /** Epoch ms (performance.timeOrigin + now(), comparable across processes) of the first and last arrival, or null. */
  firstAt: number | null;
  lastAt: number | null;
}

export interface RouterInfo {
  mediasoupVersion: string;
  workerPid: number;
  hostPid: number;
}

export interface RouterMethods {
  info: { params: []; result: RouterInfo };
  rtpCapabilities: { params: []; result: Record<string, unknown> };
  createWebRtcTransport: { params: [LocalTransportOptions]; result: TransportParams };
  connect: { params: [string, { dtlsParameters: unknown }]; result: undefined };
  produceData: { params: [string, ProduceDataParams]; result: { id: string } };
  closeTransport: { params: [string]; result: undefined };
  /** Starts counting (from zero) for these producers; `expectedSize` null skips the size check. */
  track: { params: [string[], number | null]; result: undefined };
  untrack: { params: [string[]]; result: undefined };
  stats: { params: [string]; result: ProducerStats };
  /** Resolves with the stats once `count` messages arrived, or after `timeoutMs` anyway. */
  waitFor: { params: [string, number, number]; result: ProducerStats };
  /** Resolves with how many of the producers got at least `count` messages (bounded wait). */
  waitForEach: {
    params: [string[], number, number];
    result: { complete: number; missing: string[] };
  };
  workerCpuSeconds: { params: []; result: number };
  /** CPU seconds of the router host process itself (mediasoup's Node side, verification). */
  hostCpuSeconds: { params: []; result: number };
  /**
   * What the worker itself has received for a DataProducer (its getStats()), before the
   * DirectTransport hands it to Node; null if it cannot tell.
   */
  workerReceived: { params: [string]; result: { messages: number; bytes: number } | null };
  /**
   * Receive side: a DataProducer on the router's DirectTransport, consumed on the client's
   * transport; answers with what the client's consumeData() takes (its `id` names the pair).
   */
  consumeDirect: { params: [string, string]; result: ConsumeParams };
  /** The router's DataConsumer of a client's DataProducer on another client's transport. */
  consumeData: { params: [string, string]; result: ConsumeParams };
  /** sctpsendbufferfull events of a consumeData() consumer so far (after a channel round trip). */
  consumerDrops: { params: [string]; result: number };
  /** Sends load messages from a consumeDirect() pair, paced on the consumer's buffered amount. */
  sendPaced: { params: [string, RouterSendOptions]; result: RouterSendReport };
  /** Closes a consumeDirect() pair's DataProducer (and so its consumer). */
  closeDirect: { params: [string]; result: undefined };
  close: { params: []; result: undefined };
}

export type MethodName = keyof RouterMethods;

export interface RequestMessage {
  kind: 'request';
  id: number;
  method: MethodName;
  params: unknown[];
}

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

export type HostEvent = { kind: 'ready'; info: RouterInfo } | { kind: 'fatal'; error: string };

// What the engine reports, through the emitter Artillery gives createScenario(): counters
// and histograms ("summaries" in Artillery's report) add up across workers and runners.
// Errors are `ee.emit('error', kind)`: Artillery counts them as `errors.<kind>`.

import type { BotCounter, BotErrorKind, BotHistogram, BotMetrics } from 'mediasoup-data-bots';

export const PREFIX = 'mediasoup_data.';

export const COUNTERS = {
  /** Send transports whose connection reached `connected` (ICE and DTLS done). */
  transportsOpened: `${PREFIX}transports_opened`,
  /** Transports that did not open (signaling failed, timed out) or failed later. */
  transportsFailed: `${PREFIX}transports_failed`,
  /** DataProducers that opened (their SCTP stream is up). */
  producersOpened: `${PREFIX}producers_opened`,
  /** Messages handed to DataProducer.send(). */
  messagesSent: `${PREFIX}messages_sent`,
  /** Their bytes (a text message counts its UTF-8 bytes). */
  bytesSent: `${PREFIX}bytes_sent`,
  /** Recv transports whose connection reached `connected`. */
  recvTransportsOpened: `${PREFIX}recv_transports_opened`,
  /** DataConsumers that opened. */
  consumersOpened: `${PREFIX}consumers_opened`,
  /** Messages that DataConsumers received. */
  messagesReceived: `${PREFIX}messages_received`,
  /** Their bytes (a text message counts its UTF-8 bytes). */
  bytesReceived: `${PREFIX}bytes_received`,
  /** Numbered messages whose sequence number is below one received before. */
  messagesOutOfOrder: `${PREFIX}messages_out_of_order`,
  /**
   * Numbered messages lost: the gaps between sequence numbers after a consumer's first
   * message, and, at a waitForMessages step with a count, what had not arrived by its
   * timeout (what was sent before the consumer opened does not count).
   */
  messagesLost: `${PREFIX}messages_lost`,
  /**
   * Numbered messages sent before a consumer opened (the sequence number of its first
   * message): not expected of it, so neither received nor lost.
   */
  messagesBeforeOpen: `${PREFIX}messages_before_open`,
} as const;

export const HISTOGRAMS = {
  /**
   * Milliseconds from a connect step's createWebRtcTransport request to the first
   * DataProducer open on that transport, without the scenario's own time between the
   * connect and the first produceData step.
   */
  connectTime: `${PREFIX}connect_time`,
  /** A producer's bufferedAmount in bytes, sampled at most once a second while sending. */
  bufferedAmount: `${PREFIX}buffered_amount`,
  /**
   * Milliseconds from a numbered message's send time (epoch ms in its header) to its arrival
   * at a DataConsumer of another bot.
   */
  latency: `${PREFIX}latency`,
} as const;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const MAX_REASON = 200;

/**
 * The counter of a failure's reason in the report: `mediasoup_data.failure_reasons.<kind>:
 * <reason>`, the kind without the prefix, ids as ID and numbers as N (they differ between
 * bots; the reason does not), at most 200 characters of it.
 */
export function reasonCounter(kind: string, reason: string): string {
  const shortKind = kind.startsWith(PREFIX) ? kind.slice(PREFIX.length) : kind;
  const shape = reason.replace(UUID, 'ID').replace(/\d+(?:\.\d+)?/g, 'N');
  return `${PREFIX}failure_reasons.${shortKind}: ${shape.slice(0, MAX_REASON)}`;
}

/** Error kinds (`errors.<kind>` in the report). */
export const ERRORS = {
  /** The signaling adapter could not be loaded or created. */
  signaling: `${PREFIX}signaling_failed`,
  /** getRouterRtpCapabilities, device.load() or createWebRtcTransport failed. */
  connect: `${PREFIX}connect_failed`,
  /** A DataProducer was refused (produceData signaling or its options). */
  produce: `${PREFIX}produce_failed`,
  /** A DataProducer did not open within connectTimeout (ICE, DTLS or SCTP did not complete). */
  openTimeout: `${PREFIX}open_timeout`,
  /** The transport's connection failed after it was created. */
  transport: `${PREFIX}transport_failed`,
  /** send() threw, or the producer closed while sending. */
  send: `${PREFIX}send_failed`,
  /**
   * The recv transport could not be created, the app refused consumeData, or a DataConsumer
   * did not open.
   */
  consume: `${PREFIX}consume_failed`,
  /** A consumeData step found fewer producers in the room than it waits for. */
  consumeTimeout: `${PREFIX}consume_timeout`,
  /** A waitForMessages step's consumers did not all receive its count in time. */
  receiveTimeout: `${PREFIX}receive_timeout`,
  /** A step that needs an earlier one: produceData before connect, send before produceData. */
  scenario: `${PREFIX}scenario_error`,
  /** A `function` step named no processor function, or the function failed. */
  function: `${PREFIX}function_failed`,
} as const;

/** The part of Artillery's event emitter an engine uses. */
export interface MetricsEmitter {
  emit(event: 'counter' | 'histogram', name: string, value: number): unknown;
  emit(event: 'error', kind: string): unknown;
  emit(event: 'started'): unknown;
}

/** The bot's counters and histograms under their Artillery names. */
const COUNTER_NAMES: Record<BotCounter, string> = COUNTERS;
const HISTOGRAM_NAMES: Record<BotHistogram, string> = HISTOGRAMS;

/** A bot's metrics, emitted to Artillery. */
export function artilleryMetrics(ee: MetricsEmitter): BotMetrics {
  return {
    counter(name, value) {
      ee.emit('counter', COUNTER_NAMES[name], value);
    },
    histogram(name, value) {
      ee.emit('histogram', HISTOGRAM_NAMES[name], value);
    },
  };
}

/** The bot's error kinds under their Artillery names (`errors.<name>`). */
export const ERROR_NAMES: Record<BotErrorKind, string> = {
  connect: ERRORS.connect,
  produce: ERRORS.produce,
  openTimeout: ERRORS.openTimeout,
  transport: ERRORS.transport,
  send: ERRORS.send,
  consume: ERRORS.consume,
  consumeTimeout: ERRORS.consumeTimeout,
  receiveTimeout: ERRORS.receiveTimeout,
  scenario: ERRORS.scenario,
};

// What the engine keeps of each bot (a transport and its producers) while running, and the
// plain result it returns of them.

import type { Bot, BotProducer } from 'mediasoup-data-bots';

import type { TransportResult, TransportStatus } from './types.js';

export interface ProducerState {
  index: number;
  transportIndex: number;
  id: string | undefined;
  label: string;
  error: string | undefined;
  /** The bot's producer once made: its DataProducer and what it sent. */
  bot: BotProducer | undefined;
}

export interface TransportState {
  index: number;
  id: string | undefined;
  status: TransportStatus;
  bot: Bot | undefined;
  startedAt: number | undefined;
  connectMs: number | undefined;
  error: string | undefined;
  producers: ProducerState[];
}

export function newTransportState(
  index: number,
  producers: number,
  label?: string,
): TransportState {
  return {
    index,
    id: undefined,
    status: 'pending',
    bot: undefined,
    startedAt: undefined,
    connectMs: undefined,
    error: undefined,
    producers: Array.from({ length: producers }, (_unused, p) => ({
      index: p,
      transportIndex: index,
      id: undefined,
      label: label ?? `mdp-${index}-${p}`,
      error: undefined,
      bot: undefined,
    })),
  };
}

/** Without the live objects: what a result or report may hold. */
export function transportResult(t: TransportState): TransportResult {
  return {
    index: t.index,
    id: t.id,
    status: t.status,
    connectMs: t.connectMs,
    error: t.error,
    producers: t.producers.map((p) => ({
      index: p.index,
      id: p.id,
      label: p.label,
      sent: p.bot?.sent ?? 0,
      bytes: p.bot?.bytes ?? 0,
      error: p.error,
    })),
  };
}

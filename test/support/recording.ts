// What a transport emitted and what the library logged about signaling, for tests of an
// app's signaling mistakes (on FakeHandler and on the router alike).
import type { DataProducer, Transport } from 'mediasoup-data-producer';

export const WARN_TRANSPORT = 'mediasoup-data-producer:WARN:Transport';

/** The warning the library logs for each ignored late or repeated callback/errback call. */
export function ignored(event: 'connect' | 'producedata'): string {
  return `"${event}" callback or errback called again or too late; ignored`;
}

export interface Recorded {
  /**
   * Every event the transport emitted, in order: its own (`connectionstatechange` with the
   * state; not `icegatheringstatechange`) and its observer's (prefixed `observer:`).
   */
  events: string[];
  /** The DataProducers of the observer's `newdataproducer` events. */
  newDataProducers: DataProducer[];
}

/** Records what `transport` emits from now on, without adding listeners to it. */
export function record(transport: Transport): Recorded {
  const recorded: Recorded = { events: [], newDataProducers: [] };
  tapEmit(transport, (event, args) => {
    // The ICE gathering events, which come and go with the offer, are for their own tests.
    if (event === 'icegatheringstatechange') return;
    recorded.events.push(event === 'connectionstatechange' ? `${event}:${String(args[0])}` : event);
  });
  tapEmit(transport.observer, (event, args) => {
    recorded.events.push(`observer:${event}`);
    if (event === 'newdataproducer') recorded.newDataProducers.push(args[0] as DataProducer);
  });
  return recorded;
}

/** Calls `onEmit` for each event `emitter` emits, before its listeners run. */
function tapEmit(emitter: object, onEmit: (event: string, args: unknown[]) => void): void {
  const target = emitter as { emit: (event: string, ...args: unknown[]) => boolean };
  const emit = target.emit.bind(target);
  jest.spyOn(target, 'emit').mockImplementation((event, ...args) => {
    onEmit(event, args);
    return emit(event, ...args);
  });
}

export type ErrorClass = new (message: string) => Error;

/** `error` is exactly an instance of `errorClass` (not a subclass) with that message. */
export function expectError(error: unknown, errorClass: ErrorClass, message: string): void {
  expect(error).toBeInstanceOf(errorClass);
  expect((error as Error).constructor).toBe(errorClass);
  expect((error as Error).message).toBe(message);
}

import { EventEmitter } from 'eventemitter3';

import { Logger } from './Logger.js';

const logger = new Logger('EnhancedEventEmitter');

/** Events as a map of event name to the tuple of its arguments. */
export type Events = Record<string, unknown[]>;

/**
 * A typed EventEmitter whose `safeEmit` never lets a throwing listener break the library:
 * the error is logged and the other listeners still run.
 */
export class EnhancedEventEmitter<E extends Events = Events> extends EventEmitter<E> {
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const listeners = this.listeners(
      event as unknown as EventEmitter.EventNames<E>,
    ) as unknown as ((...a: E[K]) => void)[];
    for (const listener of listeners) {
      try {
        listener(...args);
      } catch (error) {
        logger.error('safeEmit() | event listener threw an error [event:%s]: %o', event, error);
      }
    }
    return listeners.length > 0;
  }
}

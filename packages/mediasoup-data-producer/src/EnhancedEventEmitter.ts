import { EventEmitter } from 'eventemitter3';

import { Logger } from './Logger.js';

const logger = new Logger('EnhancedEventEmitter');

/** Events as a map of event name to the tuple of its arguments. */
export type Events = Record<string, unknown[]>;

/**
 * A typed EventEmitter whose `safeEmit` never lets a throwing listener reach the
 * library's own code (a native callback, a send path): the error is logged instead.
 */
export class EnhancedEventEmitter<E extends Events = Events> extends EventEmitter<E> {
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const name = event as unknown as EventEmitter.EventNames<E>;
    try {
      return this.emit(name, ...(args as unknown as EventEmitter.EventArgs<E, typeof name>));
    } catch (error) {
      logger.error('safeEmit() | event listener threw an error [event:%s]: %o', event, error);
      return true;
    }
  }
}

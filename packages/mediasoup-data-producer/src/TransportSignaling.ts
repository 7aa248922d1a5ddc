import { OperationError } from './errors.js';
import { Logger } from './Logger.js';

// The transport's namespace: docs/api.md tells apps to look for these warnings there.
const logger = new Logger('Transport');

/** What the app answers a signaling event with: its `callback` and its `errback`. */
export type SignalAnswer = [
  callback: (result?: unknown) => void,
  errback: (error?: unknown) => void,
];

interface PendingSignal {
  event: string;
  reject: (error: Error) => void;
}

/**
 * The signaling calls of a transport (`connect`, `producedata`): each emits its event with a
 * callback and an errback and waits for the app's answer, at most `timeoutMs`. Only the first
 * answer counts; a second one, or one after a timeout or a rejection by `rejectPending()`, is
 * ignored with a warning.
 */
export class TransportSignaling {
  private readonly _pending = new Set<PendingSignal>();

  constructor(private readonly _timeoutMs: number) {}

  /** How many calls wait for their answer. */
  get pendingCount(): number {
    return this._pending.size;
  }

  /**
   * Calls `emit` with a callback and an errback for `event`, and resolves with what `parse`
   * makes of the callback's argument. Rejects with the errback's error (an Error made of it
   * when it is not one), with what `parse` throws, or with OperationError when no answer
   * came within the timeout.
   */
  request<R>(
    event: string,
    emit: (...answer: SignalAnswer) => void,
    parse: (result: unknown) => R,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const pending: PendingSignal = {
        event,
        reject: (error) => {
          settle(() => {
            reject(error);
          });
        },
      };
      const settle = (finish: () => void): void => {
        if (settled) {
          logger.warn('"%s" callback or errback called again or too late; ignored', event);
          return;
        }
        settled = true;
        clearTimeout(timer);
        this._pending.delete(pending);
        finish();
      };
      const timer = setTimeout(() => {
        pending.reject(
          new OperationError(`"${event}" was not answered within ${this._timeoutMs} ms`),
        );
      }, this._timeoutMs);
      this._pending.add(pending);
      emit(
        (result) => {
          settle(() => {
            try {
              resolve(parse(result));
            } catch (error) {
              reject(asError(error));
            }
          });
        },
        (error) => {
          settle(() => {
            reject(asError(error));
          });
        },
      );
    });
  }

  /**
   * Rejects every call still waiting (only those of `event` when given) with an error of
   * `makeError()`, one each; their later answers are ignored.
   */
  rejectPending(makeError: () => Error, event?: string): void {
    for (const pending of [...this._pending]) {
      if (event === undefined || pending.event === event) pending.reject(makeError());
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

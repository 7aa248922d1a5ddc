// The adapter methods a run can do without (getReceiverStats, workerCpuSeconds,
// closeTransport): each is bounded in time, and a failure is a warning, not an error,
// since it does not make the figures wrong. NotSupportedError is no failure at all.

import type { SignalingAdapter } from '../adapter.js';
import { errorMessage, NotSupportedError } from '../errors.js';
import type { ReceiverReport } from '../receiver.js';
import { settleWithin, withTimeout } from './async.js';
import type { RunRecorder } from './runRecorder.js';

export class OptionalCalls {
  private readonly closings: Promise<void>[] = [];

  constructor(
    private readonly adapter: SignalingAdapter,
    private readonly runId: string,
    private readonly recorder: RunRecorder,
  ) {}

  get hasReceiverStats(): boolean {
    return this.adapter.getReceiverStats !== undefined;
  }

  async receiverStats(timeoutMs: number): Promise<ReceiverReport | undefined> {
    if (!this.adapter.getReceiverStats) return undefined;
    try {
      return await withTimeout(
        this.adapter.getReceiverStats({ runId: this.runId }),
        timeoutMs,
        'getReceiverStats',
      );
    } catch (error) {
      this.fail('getReceiverStats', error);
      return undefined;
    }
  }

  async workerCpu(): Promise<number | undefined> {
    if (!this.adapter.workerCpuSeconds) return undefined;
    try {
      const seconds = await withTimeout(this.adapter.workerCpuSeconds(), 2000, 'workerCpuSeconds');
      if (typeof seconds === 'number' && Number.isFinite(seconds)) return seconds;
      this.recorder.warning(
        `workerCpuSeconds answered ${JSON.stringify(seconds)}, expected a number of seconds`,
      );
    } catch (error) {
      this.fail('workerCpuSeconds', error);
    }
    return undefined;
  }

  /** Asks the app's server to close a transport; false when the adapter cannot. */
  closeTransport(transportId: string): boolean {
    const { adapter } = this;
    if (!adapter.closeTransport) return false;
    // async: an adapter method that throws instead of rejecting is handled the same way.
    const closing = (async () => {
      await adapter.closeTransport?.({ transportId });
    })();
    this.closings.push(
      closing.catch((error: unknown) => {
        this.fail('closeTransport', error);
      }),
    );
    return true;
  }

  /** Waits, at most ms, for every closeTransport asked so far. */
  closingsSettled(ms: number): Promise<void> {
    return settleWithin(Promise.all(this.closings), ms);
  }

  private fail(method: string, error: unknown): void {
    if (!(error instanceof NotSupportedError)) {
      this.recorder.warning(`${method} failed: ${errorMessage(error)}`);
    }
  }
}

// The adapter methods a run can do without (getReceiverStats, workerCpuSeconds): each is
// bounded in time, and a failure is a warning, not an error, since it does not make the
// figures wrong. NotSupportedError is no failure at all. (The bots close their transports
// on the server themselves.)

import {
  errorMessage,
  NotSupportedError,
  withTimeout,
  type ReceiverReport,
  type SignalingAdapter,
} from 'mediasoup-data-bots';

import type { RunRecorder } from './runRecorder.js';

export class OptionalCalls {
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

  private fail(method: string, error: unknown): void {
    if (!(error instanceof NotSupportedError)) {
      this.recorder.warning(`${method} failed: ${errorMessage(error)}`);
    }
  }
}

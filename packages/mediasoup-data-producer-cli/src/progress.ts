// The live display while a run goes: a cli-progress bar on a terminal, one plain line a
// second otherwise (CI logs).

import { Presets, SingleBar } from 'cli-progress';

import type { Snapshot } from './engine/index.js';
import { formatBytes, formatCount } from './summary.js';

export interface ProgressSource {
  snapshot(): Snapshot;
}

export interface ProgressDisplay {
  stop(): void;
}

interface Rates {
  messagesPerSecond: number;
  megabytesPerSecond: number;
}

/** Rates over the last second or so, from successive snapshots. */
class RateWindow {
  private readonly samples: { at: number; messages: number; bytes: number }[] = [];

  update(snap: Snapshot): Rates {
    const now = performance.now();
    this.samples.push({ at: now, messages: snap.sentMessages, bytes: snap.sentBytes });
    while (this.samples.length > 2 && now - (this.samples[1]?.at ?? now) >= 1000) {
      this.samples.shift();
    }
    const first = this.samples[0];
    const seconds = first ? (now - first.at) / 1000 : 0;
    if (!first || seconds <= 0) return { messagesPerSecond: 0, megabytesPerSecond: 0 };
    return {
      messagesPerSecond: (snap.sentMessages - first.messages) / seconds,
      megabytesPerSecond: (snap.sentBytes - first.bytes) / 1e6 / seconds,
    };
  }
}

export function plainLine(snap: Snapshot, rates: Rates): string {
  return (
    `[${(snap.elapsedMs / 1000).toFixed(1).padStart(6)} s] ${snap.phase.padEnd(10)}` +
    ` ${formatCount(rates.messagesPerSecond).padStart(8)} msg/s` +
    ` ${rates.megabytesPerSecond.toFixed(2).padStart(7)} MB/s` +
    `  transports ${snap.openTransports}/${snap.totalTransports}` +
    (snap.failedTransports > 0 ? ` (${snap.failedTransports} failed)` : '') +
    `  buffered ${formatBytes(snap.bufferedAmount)}` +
    `  sent ${formatCount(snap.sentMessages)}` +
    (snap.errors > 0 ? `  errors ${snap.errors}` : '')
  );
}

export function startProgress(
  source: ProgressSource,
  out: NodeJS.WriteStream = process.stdout,
): ProgressDisplay {
  const rates = new RateWindow();
  rates.update(source.snapshot());
  if (!out.isTTY) {
    const timer = setInterval(() => {
      const snap = source.snapshot();
      out.write(plainLine(snap, rates.update(snap)) + '\n');
    }, 1000);
    return {
      stop() {
        clearInterval(timer);
      },
    };
  }
  const bar = new SingleBar(
    {
      stream: out,
      format:
        '{bar} {percentage}% | {elapsed_s}/{duration_s} s | {phase} | {mps} msg/s | {mbps} MB/s' +
        ' | transports {tx_open}/{tx_total} | buffered {buffered}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 5,
      barsize: 24,
    },
    Presets.shades_classic,
  );
  const payload = (snap: Snapshot, r: Rates): Record<string, string> => ({
    elapsed_s: (snap.elapsedMs / 1000).toFixed(1),
    duration_s: (snap.durationMs / 1000).toFixed(0),
    phase: snap.phase,
    mps: formatCount(r.messagesPerSecond),
    mbps: r.megabytesPerSecond.toFixed(2),
    // Not {total}: cli-progress has its own.
    tx_open: String(snap.openTransports),
    tx_total: String(snap.totalTransports),
    buffered: formatBytes(snap.bufferedAmount),
  });
  const first = source.snapshot();
  bar.start(first.durationMs, 0, payload(first, { messagesPerSecond: 0, megabytesPerSecond: 0 }));
  const timer = setInterval(() => {
    const snap = source.snapshot();
    bar.update(Math.min(snap.elapsedMs, snap.durationMs), payload(snap, rates.update(snap)));
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      const snap = source.snapshot();
      bar.update(Math.min(snap.elapsedMs, snap.durationMs), payload(snap, rates.update(snap)));
      bar.stop();
    },
  };
}

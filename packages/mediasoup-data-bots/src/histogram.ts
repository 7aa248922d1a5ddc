// Latency and connect-time histograms: HdrHistogram (hdr-histogram-js, as autocannon), so
// that histograms recorded in separate processes (the CLI's shards, Artillery's workers)
// merge exactly: encode() in one process, decode() and add() in another. Values are
// milliseconds, recorded in microseconds with 3 significant digits (each percentile within
// 0.1 %).

import * as hdr from 'hdr-histogram-js';

const UNITS_PER_MS = 1000;

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

function newHdr(): hdr.Histogram {
  // Pure JS: the WebAssembly build would need an asynchronous init in every process.
  return hdr.build({
    bitBucketSize: 'packed',
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

export class Histogram {
  private readonly hdr: hdr.Histogram;

  constructor(from?: hdr.Histogram) {
    this.hdr = from ?? newHdr();
  }

  /** A histogram that encode() wrote, possibly in another process. */
  static decode(encoded: string): Histogram {
    const decoded = hdr.decodeFromCompressedBase64(encoded, 'packed', false);
    const histogram = new Histogram();
    histogram.hdr.add(decoded);
    return histogram;
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  /** Milliseconds; negative or not finite counts as 0. */
  record(value: number): void {
    const v = value > 0 && Number.isFinite(value) ? value : 0;
    this.hdr.recordValue(Math.round(v * UNITS_PER_MS));
  }

  /** Adds every value of `other`: the same as having recorded them here. */
  add(other: Histogram): void {
    this.hdr.add(other.hdr);
  }

  /** Compressed base64 (HdrHistogram's V2 encoding), for decode(). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.hdr);
  }

  /** The value at percentile p (0-100), in milliseconds. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    return this.hdr.getValueAtPercentile(p) / UNITS_PER_MS;
  }

  summary(): Percentiles | undefined {
    if (this.count === 0) return undefined;
    return {
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      // The top of its bucket, as for percentiles: the same after a decode() or add().
      max: this.percentile(100),
      mean: this.hdr.mean / UNITS_PER_MS,
      count: this.count,
    };
  }
}

/** A histogram of these values (milliseconds). */
export function histogramOf(values: Iterable<number>): Histogram {
  const histogram = new Histogram();
  for (const v of values) histogram.record(v);
  return histogram;
}

/**
 * Exact percentiles of a list: connect times, which every shard returns per transport, so
 * that the run's list is the shards' lists put together.
 */
export function percentilesOf(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  return {
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] ?? 0,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    count: sorted.length,
  };
}

// A small log-scale histogram: bounded memory whatever the number of samples, and each
// percentile within 1 % of the exact value (the maximum and the mean are exact).

const MIN_VALUE = 0.001;
const LOG_BASE = Math.log(1.01);

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

export class Histogram {
  private readonly buckets = new Map<number, number>();
  private total = 0;
  private sum = 0;
  private maximum = 0;

  get count(): number {
    return this.total;
  }

  record(value: number): void {
    const v = value > 0 && Number.isFinite(value) ? value : 0;
    const index = v <= MIN_VALUE ? 0 : Math.ceil(Math.log(v / MIN_VALUE) / LOG_BASE);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.total++;
    this.sum += v;
    if (v > this.maximum) this.maximum = v;
  }

  /** The value at percentile p (0-100): the upper bound of its bucket, at most the maximum. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index) ?? 0;
      if (seen >= rank) return Math.min(this.maximum, MIN_VALUE * Math.pow(1.01, index));
    }
    return this.maximum;
  }

  summary(): Percentiles | undefined {
    if (this.total === 0) return undefined;
    return {
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.maximum,
      mean: this.sum / this.total,
      count: this.total,
    };
  }
}

/** Exact percentiles of a small list (connect times). */
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

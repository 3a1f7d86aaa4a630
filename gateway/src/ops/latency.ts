/**
 * A fixed-size latency histogram in the manner of HDR histograms: logarithmic buckets
 * (each 10 % wider than the previous) from 0.05 ms to about 2 minutes, plus exact count,
 * sum, min and max. Memory is constant (one Uint32Array of 160 counters), whatever the
 * traffic; quantiles are accurate to within one bucket (±5 %) and clamped to the observed
 * min/max, so a single observation reports itself exactly.
 */
const FIRST_BOUND_MS = 0.05;
const GROWTH = 1.1;
const BUCKETS = 160;
const LOG_GROWTH = Math.log(GROWTH);

export interface LatencySummary {
  count: number;
  /** Milliseconds, rounded to 0.01 ms; null when nothing was observed. */
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = 0;

  record(ms: number): void {
    const value = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const index = value <= FIRST_BOUND_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(value / FIRST_BOUND_MS) / LOG_GROWTH));
    this.counts[index]! += 1;
    this.total += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.total;
  }

  /** The q-quantile (0 < q ≤ 1) in ms; null when empty. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const upper = FIRST_BOUND_MS * GROWTH ** i;
        const lower = i === 0 ? 0 : upper / GROWTH;
        return round(Math.min(this.max, Math.max(this.min, (lower + upper) / 2)));
      }
    }
    return round(this.max);
  }

  summary(): LatencySummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      meanMs: empty ? null : round(this.sum / this.total),
      p50Ms: this.quantile(0.5),
      p95Ms: this.quantile(0.95),
      p99Ms: this.quantile(0.99),
      maxMs: empty ? null : round(this.max),
    };
  }
}

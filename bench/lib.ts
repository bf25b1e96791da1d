/** Shared helpers for benchmarks: timing, percentiles and the result record the runner writes. */

export interface BenchResult {
  name: string;
  description: string;
  /** One row per measured variant, printed as a table. */
  rows: Array<Record<string, string | number>>;
  /** The headline figures, e.g. ratios measured side by side in this run. */
  figures: Record<string, number | string>;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i]!;
}

export function summarize(label: string, samplesMs: number[]): Record<string, string | number> {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    variant: label,
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    mean_ms: round(mean),
    per_s: round(1000 / mean, 0),
  };
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

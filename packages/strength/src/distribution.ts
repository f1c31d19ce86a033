/** Order statistics of the per-token strengths: quantiles, trimmed mean, histogram. */

/** The quantile levels reported by default. */
export const DEFAULT_QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;

/** Linear interpolation between order statistics (numpy's default), on sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo]! + frac * (sorted[hi]! - sorted[lo]!);
}

/** Mean after dropping the `trim` fraction at each end (Eq. 45's trimmed mean around the median). */
export function trimmedMeanSorted(sorted: ArrayLike<number>, trim: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const k = Math.floor(n * trim);
  let sum = 0;
  for (let i = k; i < n - k; i++) sum += sorted[i]!;
  return sum / (n - 2 * k);
}

/**
 * Equal-width bins between the 1st and 99th percentiles; values beyond them are counted in the
 * end bins (the per-token strengths are heavy-tailed, and the tails would squash every bin).
 */
export function histogramSorted(
  sorted: ArrayLike<number>,
  bins: number,
): { edges: number[]; counts: number[] } {
  const n = sorted.length;
  if (n === 0) return { edges: [], counts: [] };
  const lo = quantileSorted(sorted, 0.01);
  const hi = quantileSorted(sorted, 0.99);
  if (!(hi > lo)) return { edges: [lo, hi], counts: [n] };
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const b = Math.floor((sorted[i]! - lo) / width);
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return { edges, counts };
}

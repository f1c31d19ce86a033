import { mulberry32 } from '@svdecode/core';

/** Options of `pairedBootstrap`. */
export interface BootstrapOptions {
  /** Resamples (default 10,000). */
  resamples?: number;
  /** Seed of the resampling (default 1): the same input gives the same interval. */
  seed?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

export interface BootstrapInterval {
  /** Mean of the per-item differences. */
  mean: number;
  /** Percentile interval of the resampled means, [low, high]. */
  interval: [number, number];
  items: number;
  level: number;
}

/**
 * Paired bootstrap over items: `differences[i]` is one item's score under B minus under A (for
 * accuracy, 1, 0 or -1; averaged over seeds when there are several). Items are resampled with
 * replacement; the percentile interval of the resampled means is returned. Seeded (mulberry32).
 */
export function pairedBootstrap(
  differences: readonly number[],
  options: BootstrapOptions = {},
): BootstrapInterval {
  const resamples = options.resamples ?? 10_000;
  const level = options.level ?? 0.95;
  const n = differences.length;
  if (n === 0) return { mean: Number.NaN, interval: [Number.NaN, Number.NaN], items: 0, level };
  const next = mulberry32(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(next() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return {
    mean: differences.reduce((s, d) => s + d, 0) / n,
    interval: [at(tail), at(1 - tail)],
    items: n,
    level,
  };
}

/**
 * Strength estimators that read the task's own measure on the calibration split, and the
 * cross-validated calibration accuracy every estimator is compared by (DECISIONS.md entry 15).
 * Inputs are per-row greedy correctness on the calibration split (one array per strength).
 */

/** The names every study run reports, in table order. */
export const ESTIMATORS = ['peft', 'paperMean', 'optimal', 'guarded', 'tuned', 'tunedGuarded'] as const;
export type EstimatorName = (typeof ESTIMATORS)[number];

export const ESTIMATOR_LABELS: Record<EstimatorName, string> = {
  peft: 'PEFT (mu = 0)',
  paperMean: "paper's mean, no guard",
  optimal: 'exact optimum, no guard',
  guarded: 'guarded optimum (default until now)',
  tuned: 'calibration accuracy, best grid mu',
  tunedGuarded: 'calibration accuracy, guarded',
};

/** Per-row correctness (0/1) of the rows `include` accepts, averaged. */
function meanOver(correct: ArrayLike<number>, include: (row: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let r = 0; r < correct.length; r++)
    if (include(r)) {
      sum += correct[r]!;
      n++;
    }
  return n === 0 ? 0 : sum / n;
}

/**
 * The grid strength with the best calibration accuracy on the rows `include` accepts; ties go to
 * the smallest |mu| (so to mu = 0 when steering gains nothing), then to the lower mu.
 */
export function tunedStrength(
  grid: readonly number[],
  correct: readonly ArrayLike<number>[],
  include: (row: number) => boolean = () => true,
): number {
  let best = 0;
  let bestAccuracy = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < grid.length; k++) {
    const accuracy = meanOver(correct[k]!, include);
    const mu = grid[k]!;
    const better =
      accuracy > bestAccuracy + 1e-12 ||
      (Math.abs(accuracy - bestAccuracy) <= 1e-12 &&
        (Math.abs(mu) < Math.abs(best) || (Math.abs(mu) === Math.abs(best) && mu < best)));
    if (better) {
      best = mu;
      bestAccuracy = accuracy;
    }
  }
  return best;
}

/**
 * `tunedStrength`, kept only when its gain over mu = 0 on those rows exceeds two standard errors of
 * the per-row differences (z > 2, the bar at which the cross-entropy guard keeps a strength whole);
 * else 0. With 0/1 outcomes z is about the square root of the net rows won, so one lucky row of a
 * 17-point grid search is not enough.
 */
export function tunedGuardedStrength(
  grid: readonly number[],
  correct: readonly ArrayLike<number>[],
  include: (row: number) => boolean = () => true,
): number {
  const mu = tunedStrength(grid, correct, include);
  if (mu === 0) return 0;
  const zero = correct[grid.indexOf(0)]!;
  const chosen = correct[grid.indexOf(mu)]!;
  const d: number[] = [];
  for (let r = 0; r < zero.length; r++) if (include(r)) d.push(chosen[r]! - zero[r]!);
  if (d.length < 2) return 0;
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const variance = d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1);
  const se = Math.sqrt(variance / d.length);
  return mean > 2 * se ? mu : 0;
}

/**
 * Cross-validated calibration accuracy: each row is judged under the strength fitted without its
 * fold (`muForFold(f)`), read from `correctAt(mu)` (per-row correctness at a strength). Returns the
 * held-out accuracy and its gain over mu = 0 on the same rows.
 */
export function crossValidatedAccuracy(
  foldOf: ArrayLike<number>,
  folds: number,
  muForFold: (fold: number) => number,
  correctAt: (mu: number) => ArrayLike<number>,
): { accuracy: number; gain: number } {
  const zero = correctAt(0);
  let sum = 0;
  let gain = 0;
  const rows = foldOf.length;
  const perFold = Array.from({ length: folds }, (_, f) => correctAt(muForFold(f)));
  for (let r = 0; r < rows; r++) {
    const c = perFold[foldOf[r]!]![r]!;
    sum += c;
    gain += c - zero[r]!;
  }
  return { accuracy: sum / rows, gain: gain / rows };
}

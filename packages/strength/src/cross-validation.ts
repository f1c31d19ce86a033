import { mulberry32 } from '@svdecode/core';
import { quantileSorted, trimmedMeanSorted } from './distribution.js';
import type { RowChanges, RowFilter, SteeredCrossEntropy } from './steered-cross-entropy.js';

/** The global strengths a calibration can produce (the fields of StrengthSummary that hold them). */
export const AGGREGATES = ['optimal', 'mean', 'median', 'trimmed', 'pooled'] as const;
export type AggregateName = (typeof AGGREGATES)[number];

/** What one strength does on calibration rows it was not fitted on, against mu = 0. */
export interface HeldOutEstimate {
  /** The strength fitted without each fold (fold order). */
  foldMus: number[];
  /**
   * Mean change of the steered cross-entropy per steerable held-out token (target in the confident
   * set of two or more tokens: the only tokens whose loss depends on mu), in nats; negative = better.
   */
  lossChange: number;
  /** Its standard error over held-out rows (ratio estimator: rows are the sampling units). */
  lossChangeSE: number;
  /** Change of token accuracy (target is the steered argmax) per steerable held-out token. */
  accuracyChange: number;
  accuracyChangeSE: number;
}

export interface CrossValidation {
  /** Folds used (min(options.folds, rows)); folds hold whole rows, never parts of one. */
  folds: number;
  rows: number;
  /** Tokens whose steered loss depends on mu (the tokens every estimate is measured on). */
  steerableTokens: number;
  seed: number;
  /** Every aggregate, fitted on k - 1 folds and measured on the fold left out. */
  aggregates: Record<AggregateName, HeldOutEstimate>;
  /**
   * The guarded strength of the chosen aggregate, measured the same way: in each outer fold the
   * whole rule (inner cross-validation on the other folds, then keep / shrink / zero) is rerun
   * without the held-out fold, so this estimate is not flattered by the data it judges.
   */
  guarded: HeldOutEstimate;
}

export interface StrengthDecision {
  /** The aggregate the decision is about. */
  aggregate: AggregateName;
  /** The strength to decode with. */
  mu: number;
  /** The aggregate's value as fitted on every calibration row. */
  raw: number;
  /** mu / raw: 1 kept, 0 switched off, in between shrunk (0 when raw is not finite). */
  shrink: number;
  /** Whether the held-out guard made the decision (false: `guard: false`, the raw value is used). */
  guarded: boolean;
  reason: string;
}

/**
 * The guard (our rule, docs/method.md#the-held-out-guard): with `z` = held-out gain in steered cross-entropy / its
 * standard error, keep the fitted strength when z > 2; scale it by z - 1 when 1 < z <= 2; use 0
 * when z <= 1 (no gain beyond one standard error). Each token's loss is convex in mu, so a strength
 * shrunk toward 0 changes the held-out loss by at most `shrink` times what the full strength changes
 * it by: shrinking never turns a gain into a loss. Chosen on the calibration splits of the embedded
 * tasks among three variants (this one; keep above 1 SE and scale by z^2 below it; keep above 1 SE,
 * else 0): the z^2 variant let small strengths through in folds where they hurt held-out rows.
 */
export function guardStrength(
  aggregate: AggregateName,
  raw: number,
  heldOut: HeldOutEstimate | undefined,
): StrengthDecision {
  const decide = (shrink: number, reason: string): StrengthDecision => ({
    aggregate,
    mu: shrink === 0 ? 0 : shrink * raw,
    raw,
    shrink,
    guarded: true,
    reason,
  });
  if (!Number.isFinite(raw))
    return decide(0, `the ${aggregate} strength is ${raw}: no finite strength to keep`);
  if (!heldOut) return decide(0, 'no held-out evidence (cross-validation needs at least 2 calibration rows)');
  const gain = -heldOut.lossChange;
  const se = heldOut.lossChangeSE;
  const g = fmt(gain);
  const s = fmt(se);
  if (!Number.isFinite(gain) || !(gain > se))
    return decide(
      0,
      `held-out gain ${g} nats/token is not above one SE (${s}): mu = 0, plain adapted decoding`,
    );
  if (gain > 2 * se) return decide(1, `held-out gain ${g} nats/token exceeds two SE (${s}): kept`);
  const shrink = gain / se - 1;
  return decide(
    shrink,
    `held-out gain ${g} nats/token is 1-2 SE (${s}): scaled by gain/SE - 1 = ${shrink.toFixed(3)}`,
  );
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : String(x));

/** What the estimator keeps that cross-validation reads: per-row sums, per-token mu* with rows, the loss. */
export interface CrossValidationData {
  rows: number;
  eps: number;
  trim: number;
  /** per row: sum of mu*, tokens used, sum of numerators, sum of denominators */
  rowSumMu: readonly number[];
  rowUsed: readonly number[];
  rowSumNum: readonly number[];
  rowSumDen: readonly number[];
  /** per kept token: mu* and its row (exact up to maxExactTokens, a reservoir sample beyond) */
  mus: Float64Array;
  musRows: Uint32Array;
  loss: SteeredCrossEntropy | undefined;
}

/** Every row's fold: a seeded shuffle of the rows dealt round-robin into k folds (deterministic). */
export function assignFolds(rows: number, k: number, seed: number): Uint8Array {
  const order = Array.from({ length: rows }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const foldOf = new Uint8Array(rows);
  order.forEach((row, i) => {
    foldOf[row] = i % k;
  });
  return foldOf;
}

/** Fits one aggregate on the rows `include` accepts. */
export function fitAggregate(
  data: CrossValidationData,
  aggregate: AggregateName,
  include: RowFilter,
): number {
  if (aggregate === 'optimal') return data.loss ? data.loss.minimise(include).mu : Number.NaN;
  if (aggregate === 'mean' || aggregate === 'pooled') {
    let sumMu = 0;
    let used = 0;
    let num = 0;
    let den = 0;
    for (let r = 0; r < data.rows; r++) {
      if (include[r] !== 1) continue;
      sumMu += data.rowSumMu[r]!;
      used += data.rowUsed[r]!;
      num += data.rowSumNum[r]!;
      den += data.rowSumDen[r]!;
    }
    if (used === 0) return Number.NaN;
    return aggregate === 'mean' ? sumMu / used : num / (den + used * data.eps);
  }
  const values: number[] = [];
  for (let i = 0; i < data.mus.length; i++) if (include[data.musRows[i]!] === 1) values.push(data.mus[i]!);
  const sorted = Float64Array.from(values).sort();
  return aggregate === 'trimmed' ? trimmedMeanSorted(sorted, data.trim) : quantileSorted(sorted, 0.5);
}

function emptyChanges(rows: number): RowChanges {
  return { loss: new Float64Array(rows), correct: new Float64Array(rows), tokens: new Float64Array(rows) };
}

/**
 * k-fold cross-validation of one way of choosing mu over the given folds: `choose(include)` picks a
 * strength from the rows `include` accepts; it is measured on each fold in turn.
 */
function crossValidate(
  data: CrossValidationData,
  foldOf: Uint8Array,
  folds: readonly number[],
  choose: (include: RowFilter, heldOutFold: number) => number,
): HeldOutEstimate {
  const changes = emptyChanges(data.rows);
  const foldMus: number[] = [];
  for (const f of folds) {
    const mu = choose(
      rowMask(foldOf, (g) => g !== f && folds.includes(g)),
      f,
    );
    foldMus.push(mu);
    // a fold with nothing to fit on steers nothing: its held-out change is that of mu = 0
    if (data.loss)
      data.loss.addRowChanges(
        Number.isNaN(mu) ? 0 : mu,
        rowMask(foldOf, (g) => g === f),
        changes,
      );
  }
  return estimate(
    changes,
    rowMask(foldOf, (g) => folds.includes(g)),
    data.rows,
    foldMus,
  );
}

/** The rows whose fold `keep` accepts, as a row mask. */
function rowMask(foldOf: Uint8Array, keep: (fold: number) => boolean): RowFilter {
  return foldOf.map((fold) => (keep(fold) ? 1 : 0));
}

/** Ratio estimates (sum of changes / sum of tokens) with standard errors over rows. */
function estimate(changes: RowChanges, include: RowFilter, rows: number, foldMus: number[]): HeldOutEstimate {
  let n = 0;
  let loss = 0;
  let correct = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (include[r] !== 1) continue;
    count++;
    n += changes.tokens[r]!;
    loss += changes.loss[r]!;
    correct += changes.correct[r]!;
  }
  const lossChange = n > 0 ? loss / n : 0;
  const accuracyChange = n > 0 ? correct / n : 0;
  let lossSq = 0;
  let accSq = 0;
  for (let r = 0; r < rows; r++) {
    if (include[r] !== 1) continue;
    lossSq += (changes.loss[r]! - lossChange * changes.tokens[r]!) ** 2;
    accSq += (changes.correct[r]! - accuracyChange * changes.tokens[r]!) ** 2;
  }
  const scale = n > 0 && count > 1 ? Math.sqrt(count / (count - 1)) / n : 0;
  return {
    foldMus,
    lossChange,
    lossChangeSE: Math.sqrt(lossSq) * scale,
    accuracyChange,
    accuracyChangeSE: Math.sqrt(accSq) * scale,
  };
}

/**
 * Cross-validates every aggregate and the guarded choice of `chosen` (nested: the guard's own
 * cross-validation runs inside each outer training set). Reuses the per-token data the estimator
 * keeps; no model pass.
 */
export function crossValidateStrengths(
  data: CrossValidationData,
  options: { folds: number; seed: number; chosen: AggregateName },
): CrossValidation | undefined {
  const k = Math.min(options.folds, data.rows);
  if (k < 2) return undefined;
  const foldOf = assignFolds(data.rows, k, options.seed);
  const all = Array.from({ length: k }, (_, f) => f);
  const aggregates = {} as Record<AggregateName, HeldOutEstimate>;
  for (const aggregate of AGGREGATES)
    aggregates[aggregate] = crossValidate(data, foldOf, all, (include) =>
      fitAggregate(data, aggregate, include),
    );

  const fit = (include: RowFilter) => fitAggregate(data, options.chosen, include);
  // the outer training set's fit is the chosen aggregate's fold value, already computed above
  const guarded = crossValidate(data, foldOf, all, (_include, outer) => {
    const raw = aggregates[options.chosen].foldMus[outer]!;
    const inner = all.filter((f) => f !== outer);
    const heldOut = inner.length >= 2 ? crossValidate(data, foldOf, inner, fit) : undefined;
    return guardStrength(options.chosen, raw, heldOut).mu;
  });
  return {
    folds: k,
    rows: data.rows,
    steerableTokens: data.loss?.tokens ?? 0,
    seed: options.seed,
    aggregates,
    guarded,
  };
}

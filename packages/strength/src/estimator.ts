// Over 300 lines on purpose: the estimator's streaming accumulators, exact order statistics and
// summary are one object (every aggregate reads the same buffers).
import { mulberry32, SvdecodeError } from '@svdecode/core';
import {
  checkAlpha,
  createSteeringBuffers,
  DEFAULT_ALPHA,
  type SteeringBuffers,
  steeringVector,
} from '@svdecode/kl-gradient';
import {
  AGGREGATES,
  type AggregateName,
  type CrossValidation,
  crossValidateStrengths,
  guardStrength,
  type StrengthDecision,
} from './cross-validation.js';
import { DEFAULT_QUANTILES, histogramSorted, quantileSorted, trimmedMeanSorted } from './distribution.js';
import { float64s, uint32s } from './growable.js';
import { SteeredCrossEntropy } from './steered-cross-entropy.js';
import { DEFAULT_EPS, type TokenStrength, tokenStrength } from './token-strength.js';

export interface StrengthEstimatorOptions {
  /** Confidence threshold (paper default 0.1). */
  alpha?: number;
  /** Denominator guard; tokens with ||delta_hat||^2 < eps are skipped (paper default 1e-12). */
  eps?: number;
  /** Fraction dropped at each end for `trimmed` (default 0.1). */
  trim?: number;
  /** Quantile levels to report (default 1, 5, 10, 25, 50, 75, 90, 95, 99 %). */
  quantiles?: readonly number[];
  /** Histogram bins between the 1st and 99th percentiles (default 20). */
  histogramBins?: number;
  /**
   * Per-token strengths kept for the median, quantiles, trimmed mean and histogram. Exact up to
   * this many tokens (default 4,194,304: 32 MiB); beyond it a uniform reservoir sample of that size
   * is kept and `exact` turns false. 0 keeps none (those statistics become NaN).
   */
  maxExactTokens?: number;
  /** Keep each token's confident set for `optimal` (default true; false makes it NaN). */
  optimal?: boolean;
  /** Seed of the reservoir sampler and of the fold assignment (default 1). */
  seed?: number;
  /** The aggregate the decision is about (default 'optimal'; 'mean' is the paper's choice). */
  aggregate?: AggregateName;
  /**
   * Held-out guard on the decision (default true): the chosen strength is kept only as far as
   * cross-validation over calibration rows supports it (see `guardStrength`). false: use it as fitted.
   */
  guard?: boolean;
  /** Cross-validation folds over calibration rows (default 5; 0 turns cross-validation off). */
  folds?: number;
}

/** Share of calibration tokens by what steering can do for them. */
export interface StrengthCoverage {
  /** Target outside the adapted model's confident set: no strength can make it the steered choice. */
  targetOutside: number;
  /** Confident set of one token: steering cannot change the distribution. */
  singleton: number;
  /** Target kept in a confident set of two or more: the tokens whose loss depends on mu. */
  steerable: number;
  /** Plain words when more than half of the targets are outside the confident set. */
  warning?: string;
}

export interface StrengthSummary {
  /** Tokens added. */
  count: number;
  /** Tokens with ||delta_hat||^2 < eps, left out of mean, median, trimmed and pooled. */
  skipped: number;
  /** Tokens whose confident set holds one token (steering with lambda = -Infinity cannot change them). */
  singletons: number;
  /** Tokens whose target the mask removes (no one-hot term; infinite steered loss). */
  targetMasked: number;
  /** Eq. 44: mean of per-token mu* (the paper's choice). */
  mean: number;
  /** Eq. 45: median of per-token mu*. */
  median: number;
  /** Eq. 45: mean after trimming `trim` at each end. */
  trimmed: number;
  /** Eq. 46: sum of numerators / (sum of denominators + n eps). */
  pooled: number;
  /** Exact minimiser of the steered calibration cross-entropy (our default). */
  optimal: number;
  /** Tokens that enter `optimal` (target kept, confident set of two or more). */
  optimalTokens: number;
  /** false when the loss falls without bound (then `optimal` is +-Infinity). */
  optimalBounded: boolean;
  quantiles: Record<string, number>;
  histogram: { edges: number[]; counts: number[] };
  /** Whether median, quantiles, trimmed and histogram are exact (see maxExactTokens). */
  exact: boolean;
  /** Calibration rows seen (`add`'s row argument). */
  rows: number;
  coverage: StrengthCoverage;
  /** Held-out estimates of every aggregate and of the guarded choice; null with fewer than 2 rows or folds: 0. */
  crossValidation: CrossValidation | null;
  /** The strength to decode with, and why. */
  decision: StrengthDecision;
}

/**
 * Streams calibration tokens (teacher forcing: adapted logits, base logits, the true next token)
 * and aggregates the per-token optimal strengths into one global mu (docs/method.md#aggregates). Memory:
 * O(1) for mean and pooled; 8 bytes per token for the order statistics; a few floats per token
 * for `optimal` (its confident set, about 3 pairs at alpha 0.1).
 */
export class StrengthEstimator {
  readonly alpha: number;
  readonly eps: number;
  readonly #trim: number;
  readonly #levels: readonly number[];
  readonly #bins: number;
  readonly #maxExact: number;
  readonly #ce: SteeredCrossEntropy | undefined;
  readonly #mus = float64s(256);
  /** the (dense) row of each kept mu*, for cross-validation */
  readonly #musRows = uint32s(256);
  readonly #aggregate: AggregateName;
  readonly #guard: boolean;
  readonly #folds: number;
  readonly #seed: number;
  /** caller's row id -> dense row index, and per-row sums for the mean and pooled fold fits */
  readonly #rowIndex = new Map<number, number>();
  #lastRowId = Number.NaN;
  #row = 0;
  readonly #rowSumMu: number[] = [];
  readonly #rowUsed: number[] = [];
  readonly #rowSumNum: number[] = [];
  readonly #rowSumDen: number[] = [];
  #buffers: SteeringBuffers | undefined;
  readonly #scratch: TokenStrength = { numerator: 0, denominator: 0, mu: 0 };
  #rand: () => number;

  #count = 0;
  #skipped = 0;
  #singletons = 0;
  #targetMasked = 0;
  #used = 0;
  #sumMu = 0;
  #sumNum = 0;
  #sumDen = 0;

  constructor(options: StrengthEstimatorOptions = {}) {
    this.alpha = options.alpha ?? DEFAULT_ALPHA;
    checkAlpha(this.alpha);
    this.eps = options.eps ?? DEFAULT_EPS;
    if (!(this.eps >= 0)) throw new SvdecodeError('BAD_ARGUMENT', `eps must be >= 0, got ${this.eps}`);
    this.#trim = options.trim ?? 0.1;
    if (!(this.#trim >= 0 && this.#trim < 0.5))
      throw new SvdecodeError('BAD_ARGUMENT', `trim must be in [0, 0.5), got ${this.#trim}`);
    this.#levels = options.quantiles ?? DEFAULT_QUANTILES;
    this.#bins = options.histogramBins ?? 20;
    this.#maxExact = options.maxExactTokens ?? 4_194_304;
    this.#ce = options.optimal === false ? undefined : new SteeredCrossEntropy();
    this.#seed = options.seed ?? 1;
    this.#rand = mulberry32(this.#seed);
    this.#aggregate = options.aggregate ?? 'optimal';
    if (!AGGREGATES.includes(this.#aggregate))
      throw new SvdecodeError('BAD_ARGUMENT', `aggregate must be one of ${AGGREGATES.join(', ')}`);
    this.#guard = options.guard ?? true;
    this.#folds = options.folds ?? 5;
    if (!(Number.isInteger(this.#folds) && this.#folds >= 0 && this.#folds <= 255))
      throw new SvdecodeError('BAD_ARGUMENT', `folds must be an integer in [0, 255], got ${this.#folds}`);
  }

  /**
   * Adds one calibration token of row `row` (any integer id; tokens of one row stay in one fold).
   * Throws VOCAB_MISMATCH, NON_FINITE_LOGITS or TOKEN_OUT_OF_RANGE.
   */
  add(adapted: Float32Array, base: Float32Array, target: number, row = 0): void {
    if (!Number.isInteger(target) || target < 0 || target >= adapted.length) {
      throw new SvdecodeError('TOKEN_OUT_OF_RANGE', `target ${target} is outside [0, ${adapted.length})`, {
        details: { target, vocabSize: adapted.length },
      });
    }
    if (this.#buffers?.delta.length !== adapted.length) this.#buffers = createSteeringBuffers(adapted.length);
    const steering = steeringVector(adapted, base, { alpha: this.alpha, out: this.#buffers });
    const { numerator, denominator, mu } = tokenStrength(adapted, steering, target, {
      eps: this.eps,
      out: this.#scratch,
    });

    const r = this.#rowOf(row);
    this.#count++;
    if (steering.kept === 1) this.#singletons++;
    const targetKept = steering.mask[target] === 1;
    if (!targetKept) this.#targetMasked++;
    if (denominator < this.eps) {
      this.#skipped++;
    } else {
      this.#used++;
      this.#sumMu += mu;
      this.#sumNum += numerator;
      this.#sumDen += denominator;
      this.#rowSumMu[r]! += mu;
      this.#rowUsed[r]!++;
      this.#rowSumNum[r]! += numerator;
      this.#rowSumDen[r]! += denominator;
      this.#keepMu(mu, r);
    }
    if (this.#ce && targetKept && steering.kept >= 2)
      this.#ce.addToken(adapted, steering.delta, steering.mask, target, r);
  }

  #rowOf(id: number): number {
    if (id === this.#lastRowId) return this.#row;
    let r = this.#rowIndex.get(id);
    if (r === undefined) {
      r = this.#rowIndex.size;
      this.#rowIndex.set(id, r);
      this.#rowSumMu.push(0);
      this.#rowUsed.push(0);
      this.#rowSumNum.push(0);
      this.#rowSumDen.push(0);
    }
    this.#lastRowId = id;
    this.#row = r;
    return r;
  }

  /** The calibration cross-entropy (sum over the tokens `optimal` uses) of the steered distribution. */
  calibrationLoss(mu: number): number {
    if (!this.#ce)
      throw new SvdecodeError('BAD_ARGUMENT', 'calibrationLoss needs the estimator built with optimal: true');
    return this.#ce.evaluate(mu).loss;
  }

  summary(): StrengthSummary {
    const sorted = Float64Array.from(this.#mus.view()).sort();
    const quantiles: Record<string, number> = {};
    for (const q of this.#levels) quantiles[String(q)] = quantileSorted(sorted, q);
    const best = this.#ce?.minimise();
    const aggregates: Record<AggregateName, number> = {
      mean: this.#used > 0 ? this.#sumMu / this.#used : Number.NaN,
      median: quantileSorted(sorted, 0.5),
      trimmed: trimmedMeanSorted(sorted, this.#trim),
      pooled: this.#used > 0 ? this.#sumNum / (this.#sumDen + this.#used * this.eps) : Number.NaN,
      optimal: best?.mu ?? Number.NaN,
    };
    const crossValidation =
      this.#folds > 0
        ? crossValidateStrengths(
            {
              rows: this.#rowIndex.size,
              eps: this.eps,
              trim: this.#trim,
              rowSumMu: this.#rowSumMu,
              rowUsed: this.#rowUsed,
              rowSumNum: this.#rowSumNum,
              rowSumDen: this.#rowSumDen,
              mus: this.#mus.view(),
              musRows: this.#musRows.view(),
              loss: this.#ce,
            },
            { folds: this.#folds, seed: this.#seed, chosen: this.#aggregate },
          )
        : undefined;
    const raw = aggregates[this.#aggregate];
    const decision: StrengthDecision = this.#guard
      ? guardStrength(this.#aggregate, raw, crossValidation?.aggregates[this.#aggregate])
      : {
          aggregate: this.#aggregate,
          mu: raw,
          raw,
          shrink: 1,
          guarded: false,
          reason: 'guard off: the strength as fitted',
        };
    return {
      count: this.#count,
      skipped: this.#skipped,
      singletons: this.#singletons,
      targetMasked: this.#targetMasked,
      ...aggregates,
      optimalTokens: this.#ce?.tokens ?? 0,
      optimalBounded: best?.bounded ?? false,
      quantiles,
      histogram: histogramSorted(sorted, this.#bins),
      exact: this.#used <= this.#maxExact,
      rows: this.#rowIndex.size,
      coverage: this.#coverage(),
      crossValidation: crossValidation ?? null,
      decision,
    };
  }

  #coverage(): StrengthCoverage {
    const n = Math.max(this.#count, 1);
    const targetOutside = this.#targetMasked / n;
    const coverage: StrengthCoverage = {
      targetOutside,
      singleton: this.#singletons / n,
      steerable: (this.#ce?.tokens ?? 0) / n,
    };
    if (targetOutside > 0.5)
      coverage.warning =
        `${(100 * targetOutside).toFixed(0)} % of the calibration targets lie outside the adapted model's confident set: ` +
        'the adapter rarely ranks the answer among its confident tokens, so steering has little to work with.';
    return coverage;
  }

  /** Bytes held for per-token statistics (0 when both the distribution and `optimal` are off). */
  get retainedBytes(): number {
    return (
      (this.#maxExact > 0 ? this.#mus.byteLength + this.#musRows.byteLength : 0) + (this.#ce?.byteLength ?? 0)
    );
  }

  /** Exact storage up to maxExact tokens, then reservoir sampling (Algorithm R) of that size. */
  #keepMu(mu: number, row: number): void {
    if (this.#maxExact === 0) return;
    if (this.#mus.length < this.#maxExact) {
      this.#mus.push(mu);
      this.#musRows.push(row);
      return;
    }
    const j = Math.floor(this.#rand() * this.#used);
    if (j < this.#maxExact) {
      this.#mus.set(j, mu);
      this.#musRows.set(j, row);
    }
  }
}

import { SvdecodeError } from '@svdecode/core';
import {
  checkAlpha,
  createSteeringBuffers,
  DEFAULT_ALPHA,
  type SteeringBuffers,
  steeringVector,
} from '@svdecode/kl-gradient';
import { DEFAULT_QUANTILES, histogramSorted, quantileSorted, trimmedMeanSorted } from './distribution.js';
import { float64s } from './growable.js';
import { SteeredCrossEntropy } from './steered-cross-entropy.js';
import { DEFAULT_EPS, type TokenStrength, tokenStrength } from './token-strength.js';

export interface StrengthEstimatorOptions {
  /** Confidence threshold (paper default 0.1). */
  alpha?: number;
  /** Denominator guard; tokens with ||delta_hat||^2 < eps are skipped (paper default 1e-12). */
  eps?: number;
  /** Fraction dropped at each end for `trimmedMean` (default 0.1). */
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
  /** Seed of the reservoir sampler (default 1). */
  seed?: number;
}

export interface StrengthSummary {
  /** Tokens added. */
  count: number;
  /** Tokens with ||delta_hat||^2 < eps, left out of mean, median, trimmedMean and pooled. */
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
  trimmedMean: number;
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
  /** Whether median, quantiles, trimmedMean and histogram are exact (see maxExactTokens). */
  exact: boolean;
}

/**
 * Streams calibration tokens (teacher forcing: adapted logits, base logits, the true next token)
 * and aggregates the per-token optimal strengths into one global mu (METHOD.md section 4). Memory:
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
    this.#rand = mulberry32(options.seed ?? 1);
  }

  /** Adds one calibration token. Throws VOCAB_MISMATCH, NON_FINITE_LOGITS or TOKEN_OUT_OF_RANGE. */
  add(adapted: Float32Array, base: Float32Array, target: number): void {
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
      this.#keepMu(mu);
    }
    if (this.#ce && targetKept && steering.kept >= 2)
      this.#ce.addToken(adapted, steering.delta, steering.mask, target);
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
    return {
      count: this.#count,
      skipped: this.#skipped,
      singletons: this.#singletons,
      targetMasked: this.#targetMasked,
      mean: this.#used > 0 ? this.#sumMu / this.#used : Number.NaN,
      median: quantileSorted(sorted, 0.5),
      trimmedMean: trimmedMeanSorted(sorted, this.#trim),
      pooled: this.#used > 0 ? this.#sumNum / (this.#sumDen + this.#used * this.eps) : Number.NaN,
      optimal: best?.mu ?? Number.NaN,
      optimalTokens: this.#ce?.tokens ?? 0,
      optimalBounded: best?.bounded ?? false,
      quantiles,
      histogram: histogramSorted(sorted, this.#bins),
      exact: this.#used <= this.#maxExact,
    };
  }

  /** Bytes held for per-token statistics (0 when both the distribution and `optimal` are off). */
  get retainedBytes(): number {
    return (this.#maxExact > 0 ? this.#mus.byteLength : 0) + (this.#ce?.byteLength ?? 0);
  }

  /** Exact storage up to maxExact tokens, then reservoir sampling (Algorithm R) of that size. */
  #keepMu(mu: number): void {
    if (this.#maxExact === 0) return;
    if (this.#mus.length < this.#maxExact) {
      this.#mus.push(mu);
      return;
    }
    const j = Math.floor(this.#rand() * this.#used);
    if (j < this.#maxExact) this.#mus.set(j, mu);
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

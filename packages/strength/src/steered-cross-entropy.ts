import { float32s, uint32s } from './growable.js';

export interface LossDerivatives {
  /** sum over tokens of -log softmax_S(z + mu delta)[target] */
  loss: number;
  /** dL/dmu = sum_t (E_q[delta] - delta[target]) */
  gradient: number;
  /** d2L/dmu2 = sum_t Var_q(delta) >= 0 */
  curvature: number;
  /** tokens summed over */
  tokens: number;
}

export interface Minimum {
  mu: number;
  loss: number;
  iterations: number;
  /** false when the loss keeps falling as |mu| grows (then `mu` is +-Infinity). */
  bounded: boolean;
}

/**
 * Chooses tokens by their calibration row (cross-validation folds are sets of rows): a token is
 * included when `mask[row]` is 1. A typed mask, not a callback: it is read once per token in loops
 * that run a hundred times per calibration summary.
 */
export type RowFilter = Uint8Array;

/** Per-row sums of what steering with one mu changes on the tokens it is evaluated on. */
export interface RowChanges {
  /** sum over the row's tokens of L_t(mu) - L_t(0) (negative: steering helps) */
  loss: Float64Array;
  /** sum over the row's tokens of correct_t(mu) - correct_t(0), correct = target is the steered argmax */
  correct: Float64Array;
  /** tokens of the row that were evaluated */
  tokens: Float64Array;
}

/** Strengths beyond this are evaluated as this (an unbounded optimum's held-out loss is then huge, not NaN). */
const MU_LIMIT = 1e12;

/**
 * The calibration cross-entropy of the steered distribution as a function of mu, over each token's
 * confident set S_t (docs/method.md#aggregates). Each token is stored relative to its
 * target y: `u_i = z_i - z_y`, `v_i = delta_i - delta_y` for i in S_t minus y, so that
 * `L_t(mu) = log(1 + sum_i exp(u_i + mu v_i))`: convex in mu (log-sum-exp of affine functions).
 */
export class SteeredCrossEntropy {
  readonly #u = float32s();
  readonly #v = float32s();
  /** end offset of each token's pairs */
  readonly #ends = uint32s();
  /** calibration row of each token */
  readonly #rows = uint32s();

  get tokens(): number {
    return this.#ends.length;
  }

  get byteLength(): number {
    return this.#u.byteLength + this.#v.byteLength + this.#ends.byteLength + this.#rows.byteLength;
  }

  /** Adds a token: its kept logits and deltas (the `mask`ed confident set), its target and its row. */
  addToken(logits: Float32Array, delta: Float32Array, mask: Uint8Array, target: number, row = 0): void {
    const zy = logits[target]!;
    const dy = delta[target]!;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i] || i === target) continue;
      this.#u.push(logits[i]! - zy);
      this.#v.push(delta[i]! - dy);
    }
    this.#ends.push(this.#u.length);
    this.#rows.push(row);
  }

  /** Loss and its derivatives at mu, summed over every token (or the tokens whose row `include` accepts). */
  evaluate(mu: number, include?: RowFilter): LossDerivatives {
    const u = this.#u.view();
    const v = this.#v.view();
    const ends = this.#ends.view();
    const rows = this.#rows.view();
    let loss = 0;
    let gradient = 0;
    let curvature = 0;
    let tokens = 0;
    let start = 0;
    for (let t = 0; t < ends.length; t++) {
      const end = ends[t]!;
      if (include && include[rows[t]!] !== 1) {
        start = end;
        continue;
      }
      tokens++;
      // the target's own term is exp(0 + mu * 0) = 1
      let m = 0;
      for (let i = start; i < end; i++) {
        const w = u[i]! + mu * v[i]!;
        if (w > m) m = w;
      }
      let s = Math.exp(-m);
      let sv = 0;
      let svv = 0;
      for (let i = start; i < end; i++) {
        const e = Math.exp(u[i]! + mu * v[i]! - m);
        const vi = v[i]!;
        s += e;
        sv += e * vi;
        svv += e * vi * vi;
      }
      const mean = sv / s;
      loss += m + Math.log(s);
      gradient += mean;
      curvature += Math.max(0, svv / s - mean * mean);
      start = end;
    }
    return { loss, gradient, curvature, tokens };
  }

  /**
   * Adds, per row, what steering with `mu` changes against mu = 0 on the tokens whose row `include`
   * accepts: the loss, whether the target is the steered argmax, and the token count (held-out
   * evaluation: no allocation, one pass).
   */
  addRowChanges(mu: number, include: RowFilter, into: RowChanges): void {
    if (Number.isNaN(mu)) throw new RangeError('addRowChanges: mu is NaN');
    const m = Math.max(-MU_LIMIT, Math.min(MU_LIMIT, mu));
    const u = this.#u.view();
    const v = this.#v.view();
    const ends = this.#ends.view();
    const rows = this.#rows.view();
    let start = 0;
    for (let t = 0; t < ends.length; t++) {
      const end = ends[t]!;
      const row = rows[t]!;
      if (include[row] === 1) {
        into.loss[row]! += tokenLoss(u, v, start, end, m) - tokenLoss(u, v, start, end, 0);
        into.correct[row]! +=
          (targetWins(u, v, start, end, m) ? 1 : 0) - (targetWins(u, v, start, end, 0) ? 1 : 0);
        into.tokens[row]!++;
      }
      start = end;
    }
  }

  /** The exact minimiser: bracket the root of the (increasing) gradient, then safeguarded Newton. */
  minimise(include?: RowFilter): Minimum {
    if (this.tokens === 0) return { mu: Number.NaN, loss: 0, iterations: 0, bounded: false };
    let iterations = 1;
    const evaluate = (mu: number) => this.evaluate(mu, include);
    const at0 = evaluate(0);
    if (at0.tokens === 0) return { mu: Number.NaN, loss: 0, iterations, bounded: false };
    if (at0.gradient === 0) return { mu: 0, loss: at0.loss, iterations, bounded: true };
    const direction = at0.gradient > 0 ? -1 : 1;
    // bracket: one end at 0, the other found by expanding geometrically from a Newton-sized step
    let near = 0;
    let step = at0.curvature > 0 ? Math.min(Math.abs(at0.gradient / at0.curvature), 1e6) : 1;
    step = Math.max(step, 1e-6);
    let far = direction * step;
    let atFar = evaluate(far);
    iterations++;
    // a gradient that underflowed to 0 with no curvature is the flat tail of a loss still falling
    const stillFalling = (d: LossDerivatives) =>
      Math.sign(d.gradient) === Math.sign(at0.gradient) || (d.gradient === 0 && d.curvature === 0);
    while (stillFalling(atFar)) {
      near = far;
      step *= 4;
      if (step > 1e15) {
        return { mu: direction * Number.POSITIVE_INFINITY, loss: atFar.loss, iterations, bounded: false };
      }
      far = direction * step;
      atFar = evaluate(far);
      iterations++;
    }
    if (atFar.gradient === 0) return { mu: far, loss: atFar.loss, iterations, bounded: true };
    let lo = Math.min(near, far);
    let hi = Math.max(near, far);
    let x = far;
    let at = atFar;
    for (let k = 0; k < 200; k++) {
      if (at.gradient < 0) lo = x;
      else if (at.gradient > 0) hi = x;
      else break;
      let next = at.curvature > 0 ? x - at.gradient / at.curvature : Number.NaN;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const done = Math.abs(next - x) <= 1e-13 * (1 + Math.abs(x)) || hi - lo <= 1e-13 * (1 + Math.abs(x));
      x = next;
      at = evaluate(x);
      iterations++;
      if (done) break;
    }
    return { mu: x, loss: at.loss, iterations, bounded: true };
  }
}

/** -log softmax_S(z + mu delta)[y] of one token, from its pairs relative to the target. */
function tokenLoss(u: Float32Array, v: Float32Array, start: number, end: number, mu: number): number {
  let m = 0;
  for (let i = start; i < end; i++) {
    const w = u[i]! + mu * v[i]!;
    if (w > m) m = w;
  }
  let s = Math.exp(-m);
  for (let i = start; i < end; i++) s += Math.exp(u[i]! + mu * v[i]! - m);
  return m + Math.log(s);
}

/** Whether the target is the steered argmax (strictly: a tie is not a win). */
function targetWins(u: Float32Array, v: Float32Array, start: number, end: number, mu: number): boolean {
  for (let i = start; i < end; i++) if (u[i]! + mu * v[i]! >= 0) return false;
  return true;
}

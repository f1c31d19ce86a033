import { SvdecodeError } from '@svdecode/core';
import {
  checkAlpha,
  createSteeringBuffers,
  DEFAULT_ALPHA,
  oneConfidentToken,
  type Steering,
  type SteeringSettings,
  steeringVector,
  steerLogits,
} from '@svdecode/kl-gradient';
import type { SamplerContext, SamplerStage } from '../stage.js';

/**
 * SVDecode as a sampler stage: replaces the logits with `z + mu * delta_hat`, the steering vector
 * computed from the current logits (the adapted model's, when this stage comes first) and the base
 * model's logits in the context. In place; buffers live in the stage.
 */
export class SteerStage implements SamplerStage {
  readonly name = 'steer';
  readonly mu: number;
  readonly alpha: number;
  readonly lambda: number;
  #buffers: Steering | undefined;
  // option objects made once: a literal per call would allocate on every token
  #vectorOptions: { alpha: number; out: Steering | undefined };
  #steerOptions: { lambda: number; out: Float32Array | undefined } = { lambda: 0, out: undefined };
  /** KL(p_adapted || p_base) and kept-token count of the last step (for display). */
  lastKL = Number.NaN;
  lastKept = 0;

  constructor(options: SteeringSettings) {
    if (!Number.isFinite(options.mu)) {
      throw new SvdecodeError('BAD_ARGUMENT', `mu must be a finite number, got ${options.mu}`, {
        details: { mu: options.mu },
      });
    }
    this.mu = options.mu;
    this.alpha = options.alpha ?? DEFAULT_ALPHA;
    checkAlpha(this.alpha);
    this.lambda = options.lambda ?? Number.NEGATIVE_INFINITY;
    this.#vectorOptions = { alpha: this.alpha, out: undefined };
    this.#steerOptions.lambda = this.lambda;
  }

  /**
   * Whether this step's steered distribution depends on the base model. Not when mu = 0 (the stage
   * is the identity), nor, with lambda = -Infinity, when the confident set {p >= alpha * max p} of
   * these adapted logits holds one token (kl-gradient's `oneConfidentToken`, the test
   * `steeringVector` makes): the steered distribution is then a point mass on it.
   */
  needsBase(adapted: Float32Array): boolean {
    if (this.mu === 0) return false;
    if (this.lambda !== Number.NEGATIVE_INFINITY) return true;
    return !oneConfidentToken(adapted, this.alpha);
  }

  apply(logits: Float32Array, ctx: SamplerContext): void {
    if (!ctx.base && ctx.baseSkipped) {
      // needsBase() said no: mu = 0 (identity), or a one-token confident set (a point mass on the
      // top token, which the later stages and every selector keep)
      this.lastKL = Number.NaN;
      this.lastKept = this.mu === 0 ? 0 : 1;
      if (this.mu === 0) return;
      let top = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[top]!) top = i;
      for (let i = 0; i < logits.length; i++) if (i !== top) logits[i] = Number.NEGATIVE_INFINITY;
      return;
    }
    if (!ctx.base) {
      throw new SvdecodeError('BAD_ARGUMENT', 'the steer stage needs the base model logits of each step', {
        hint: 'Decode with a PairedSession (base + adapted), or turn steering off.',
      });
    }
    const inModel = ctx.steered;
    if (
      inModel !== undefined &&
      inModel.mu === this.mu &&
      inModel.alpha === this.alpha &&
      inModel.lambda === this.lambda &&
      Number.isFinite(inModel.kl) &&
      inModel.logits.length === logits.length &&
      sameValues(logits, ctx.adapted)
    ) {
      // the model computed this step (non-finite logits would give a non-finite KL: the kernel below reports them)
      this.lastKL = inModel.kl;
      this.lastKept = inModel.kept;
      if (this.mu !== 0) logits.set(inModel.logits);
      return;
    }
    if (this.#buffers?.delta.length !== logits.length) {
      this.#buffers = createSteeringBuffers(logits.length);
      this.#vectorOptions.out = this.#buffers;
    }
    // the KL is reported at every step, mu = 0 included (a guarded strength is often 0)
    const s = steeringVector(logits, ctx.base, this.#vectorOptions);
    this.lastKL = s.kl;
    this.lastKept = s.kept;
    if (this.mu === 0) return; // the identity: nothing to add
    this.#steerOptions.out = logits;
    steerLogits(logits, s, this.mu, this.#steerOptions);
    this.#steerOptions.out = undefined; // keep no reference to the caller's buffer
  }

  clone(): SteerStage {
    return new SteerStage({ mu: this.mu, alpha: this.alpha, lambda: this.lambda });
  }
}

export const steer = (options: SteeringSettings) => new SteerStage(options);

/** Whether no earlier stage changed the logits (the model's steering step is for the raw ones). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

import type { LazyBaseCosts } from './lazy-costs.js';
import type { CausalLM, DecodeSession } from './model.js';

/** The steering settings a model may apply itself (a graph with SVDecode's steering step inside). */
export interface ModelSteering {
  mu: number;
  alpha: number;
  /** -Infinity removes masked tokens. */
  lambda: number;
}

/** The steering step a model computed for one position, with the settings it used. */
export interface SteeredStep extends ModelSteering {
  /** `adapted + mu * delta_hat` (Eq. 14); a fresh array the caller owns. */
  logits: Float32Array;
  /** KL(p_adapted || p_base), nats; not finite when the logits were not (the caller reports it). */
  kl: number;
  /** The confident set's size. */
  kept: number;
}

/** Base and adapted logits of the same position, same context. */
export interface PairedLogits {
  base: Float32Array;
  adapted: Float32Array;
  /** The steered logits, when the session steers inside the model (`steerInModel`). */
  steered?: SteeredStep;
}

/**
 * Base and adapted model decoding the same context in lockstep: what steering needs at every step.
 * Backends may implement it with one batched forward (weight-sharing adapters); `pairSessions`
 * is the generic version that drives two sessions.
 */
export interface PairedSession {
  readonly vocabSize: number;
  readonly length: number;
  readonly disposed: boolean;
  append(tokens: ArrayLike<number>): Promise<PairedLogits>;
  fork(): PairedSession;
  dispose(): void;
  /**
   * Asks the model to compute the steering step of every eager step itself (`steered` in the
   * result); undefined stops it. Returns whether it will: only models with the step inside them
   * (an ONNX paired export with `steering: true`) do; the others leave it to the sampler.
   */
  steerInModel?(settings: ModelSteering | undefined): boolean;
}

/**
 * A paired session whose base model may fall behind: lazy base decoding. `appendAdapted` advances
 * the adapted model alone; `catchUpBase` runs the base model over every token it missed, in one
 * forward, and returns its logits at the current position (equal to the step-by-step logits);
 * `append` is the eager step of a `PairedSession` (it catches the base up on the way). A step whose
 * steered distribution does not depend on the base model (a one-token confident set) then costs the
 * adapted model alone.
 */
export interface LazyPairedSession extends PairedSession {
  /** Tokens the adapted model has seen and the base model not yet. */
  readonly baseBehind: number;
  /** The decoder's running cost estimates, shared by the lazy sessions of one model and their forks. */
  readonly costs: LazyBaseCosts;
  appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array>;
  catchUpBase(): Promise<Float32Array>;
  fork(): LazyPairedSession;
}

export function isLazyPaired(session: DecodeSession | PairedSession): session is LazyPairedSession {
  const s = session as Partial<LazyPairedSession>;
  return typeof s.appendAdapted === 'function' && typeof s.catchUpBase === 'function';
}

/**
 * A causal LM that is the adapted model of a (base, adapted) pair and also gives the base model's
 * logits for the same context: what calibration (`scorePaired`) and steered decoding
 * (`createPairedSession`) need. Backends with weight-sharing adapters implement it with one
 * batched forward; `pairModels` builds one from two separate models.
 */
export interface PairedCausalLM extends CausalLM {
  createPairedSession(): PairedSession;
  /** A paired session whose base model runs only when asked (lazy base decoding), when the backend has one. */
  createLazyPairedSession?(): LazyPairedSession;
  /** Teacher-forced logits of both models for the same tokens (row-major, as `score`). */
  scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits>;
}

/** Whether a model can give base and adapted logits together. */
export function isPaired(model: CausalLM): model is PairedCausalLM {
  const m = model as Partial<PairedCausalLM>;
  return typeof m.createPairedSession === 'function' && typeof m.scorePaired === 'function';
}

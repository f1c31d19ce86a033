import type { LazyBaseCosts } from './lazy-costs.js';
import type { CausalLM, DecodeSession } from './model.js';

/** Base and adapted logits of the same position, same context. */
export interface PairedLogits {
  base: Float32Array;
  adapted: Float32Array;
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

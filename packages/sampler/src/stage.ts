import type { SteeredStep } from '@svdecode/core';

/**
 * The sampler design, after llama.cpp's sampler chain: a stage is a tiny object that edits a
 * logits vector in place; a chain is itself a stage; a chain ends in a selector that picks a token.
 *
 * Convention: every stage edits the `logits` it is given **in place** (a removed token becomes
 * -Infinity) and keeps its scratch buffers inside itself, so the steady state allocates nothing.
 * A stage never keeps a reference to `logits` or to the context beyond `apply`.
 */

/** What a stage may read about the current step. */
export interface SamplerContext {
  /** The adapted model's raw logits for this step (never modified by stages). */
  readonly adapted: Float32Array;
  /** The base model's raw logits for the same context; present when decoding with a PairedSession. */
  readonly base: Float32Array | undefined;
  /** Prompt and generated tokens so far. */
  readonly history: readonly number[];
  /** 0 for the first generated token. */
  readonly step: number;
  /**
   * Lazy base decoding skipped the base model this step (`base` is undefined): the steer stage
   * decided it was not needed (mu = 0, or a one-token confident set).
   */
  readonly baseSkipped?: boolean;
  /**
   * The steering step the model computed for this step's raw logits (a session steering in the
   * model, e.g. an ONNX paired export with the step inside): the steer stage takes it instead of
   * computing it, when its settings match and the logits it is given are still the raw ones.
   */
  readonly steered?: SteeredStep;
}

export interface SamplerStage {
  readonly name: string;
  /** Edits `logits` in place. */
  apply(logits: Float32Array, ctx: SamplerContext): void;
  /** Told which token was chosen (stateful stages update here). */
  accept?(token: number): void;
  /** Back to the initial state. */
  reset?(): void;
  /** An independent copy with the same state (beam search, forks). Stateless stages may return `this`. */
  clone?(): SamplerStage;
}

/** The last stage of a chain: picks a token from processed logits. */
export interface Selector {
  readonly name: string;
  select(logits: Float32Array, ctx: SamplerContext): number;
  reset?(): void;
  clone?(): Selector;
}

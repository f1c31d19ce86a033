import type { LazyBaseCosts } from './lazy-costs.js';
import type { ModelSteering, SteeredStep } from './paired.js';

/** Which model a row of a run is: the base model (adapter off) or the adapted one. A plain model's one row is `adapted`. */
export type RowKind = 'base' | 'adapted';

/** What one run of rows gives back. */
export interface RowRun<State> {
  /** The last position's logits of row `row` (in the order the rows were asked for); a fresh array the caller owns. */
  logits(row: number): Float32Array;
  /** The rows' state after the run. */
  state: State;
  /** A (base, adapted) run asked for steering, on a runner that steers in the model. */
  steered?: SteeredStep;
}

/**
 * What a backend writes so that core's session machine (`row-sessions.ts`) decodes on it: runs of
 * rows over a state (its KV caches), a copy and a free (and for pairs a split and a join). The machine does all the
 * bookkeeping (length, disposal, token checks, lazy base decoding, forks); the runner only computes.
 *
 * A state belongs to one session. `run`, `split` and `join` take ownership of the states they are
 * given (they may reuse or free them) unless they throw, in which case the states are left as they
 * were.
 */
export interface RowRunner<State> {
  readonly vocabSize: number;
  /** Sessions made on this runner and not yet disposed: the machine counts them, tests read them. */
  liveSessions: number;
  /**
   * `tokens` appended to every row of `state` (undefined: nothing decoded yet), rows as `rows` says;
   * `past` is how many tokens the state has seen.
   */
  run(
    rows: readonly RowKind[],
    state: State | undefined,
    past: number,
    tokens: number[],
    steering?: ModelSteering,
  ): Promise<RowRun<State>>;
  /** An independent copy (forks). */
  fork(state: State): State;
  dispose(state: State): void;
}

/** A runner with base and adapted rows: what paired and lazy paired sessions need on top. */
export interface PairedRowRunner<State> extends RowRunner<State> {
  /** Lazy decoding's running cost estimates, shared by the lazy sessions of this runner. */
  readonly lazyCosts: LazyBaseCosts;
  /**
   * The model computes the steering step itself: `run` of the rows (base, adapted) with `steering`
   * returns `steered`.
   */
  readonly steersInModel?: boolean;
  /** A (base, adapted) state as two one-row states. */
  split(joint: State): [base: State, adapted: State];
  /** Two one-row states at the same length as one (base, adapted) state. */
  join(base: State, adapted: State): State;
}

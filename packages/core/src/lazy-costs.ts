/** The kinds of step lazy base decoding times, each with its own running average. */
export type LazyStepKind =
  /** Both models, the one before was eager too. */
  | 'eager'
  /** Both models, right after a catch-up (backends that batch the rows join their caches here). */
  | 'eagerAfterCatchUp'
  /** The adapted model alone, right after an eager step (backends split their caches here). */
  | 'firstAdapted'
  /** The adapted model alone, the base already behind. */
  | 'adapted'
  /** The base model over the tokens it missed. */
  | 'catchUp';

/**
 * When lazy base decoding pays. After a step whose steered distribution did not need the base
 * model, the decoder may stay eager (E per step) or start a lazy run: the adapted model alone (A1
 * for the first step, A after), then, on the step that needs the base, a catch-up (C), and an eager
 * step that costs E' >= E. For N more base-free steps, lazy costs A1 + N A + C + (E' - E) against
 * (N + 1) E for eager, so it pays when
 *
 *   A1 + C + (E' - E) - E  <  E[N] (E - A),   E[N] = q / (1 - q),
 *
 * with q the chance that a base-free step is followed by another. Where a paired step costs little
 * more than a plain one (small models, one thread), only long runs pay; where it costs nearly two
 * plain ones, almost any run does. The averages are measured while decoding and shared by the
 * sessions of one model; they choose how steps run, never which tokens come out (lazy and eager
 * steps give the same logits).
 */
export class LazyBaseCosts {
  /** Milliseconds per step of each kind (running averages; NaN until measured). */
  readonly ms: Record<LazyStepKind, number> = {
    eager: Number.NaN,
    eagerAfterCatchUp: Number.NaN,
    firstAdapted: Number.NaN,
    adapted: Number.NaN,
    catchUp: Number.NaN,
  };
  /** Chance that a base-free step is followed by another (running average). */
  continueShare = 0.5;
  #lazyRuns = 0;
  #refusals = 0;

  /** Weight of the newest measurement in the running averages. */
  static readonly RATE = 0.1;
  /** Lazy runs tried before the rule is trusted. */
  static readonly WARMUP = 3;
  /** One lazy run in this many refusals anyway, so that the estimates follow the workload. */
  static readonly EXPLORE_EVERY = 16;

  observe(kind: LazyStepKind, ms: number): void {
    const old = this.ms[kind];
    this.ms[kind] = Number.isNaN(old) ? ms : old + LazyBaseCosts.RATE * (ms - old);
    if (kind === 'firstAdapted') this.#lazyRuns++;
  }

  /** After a base-free step: whether the following step was base-free too. */
  observeContinuation(continued: boolean): void {
    this.continueShare += LazyBaseCosts.RATE * ((continued ? 1 : 0) - this.continueShare);
  }

  /** Whether to start a lazy run, given the step just taken did not need the base model. */
  lazyPays(): boolean {
    const { eager, eagerAfterCatchUp, firstAdapted, adapted, catchUp } = this.ms;
    const known = [eager, eagerAfterCatchUp, firstAdapted, catchUp].every((x) => !Number.isNaN(x));
    if (this.#lazyRuns < LazyBaseCosts.WARMUP || !known) return true;
    const q = Math.min(this.continueShare, 0.999);
    const perStep = Number.isNaN(adapted) ? firstAdapted : adapted;
    const overhead = firstAdapted + catchUp + (eagerAfterCatchUp - eager) - eager;
    if (overhead < (q / (1 - q)) * (eager - perStep)) return true;
    return ++this.#refusals % LazyBaseCosts.EXPLORE_EVERY === 0;
  }
}

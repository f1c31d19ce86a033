import {
  type DecodeSession,
  isLazyPaired,
  type LazyBaseCosts,
  type LazyStepKind,
  type PairedSession,
  type SteeredStep,
  SvdecodeError,
} from '@svdecode/core';
import type { ResolvedOptions } from './options.js';

/** One decoding step's raw logits: the adapted model's, and the base model's when paired. */
export interface StepLogits {
  adapted: Float32Array;
  base: Float32Array | undefined;
  /** The steering step, when the model computed it (a session steering in the model). */
  steered?: SteeredStep;
}

/** Either kind of session behind one small interface. */
export interface SteppableSession {
  /** Both models when paired (the eager step). */
  append(tokens: ArrayLike<number>): Promise<StepLogits>;
  /** Lazy paired sessions only: the adapted model alone (`base` undefined). */
  appendAdapted?(tokens: ArrayLike<number>): Promise<StepLogits>;
  /** Lazy paired sessions only: the base model's logits now, after it catches up. */
  catchUpBase?(): Promise<Float32Array>;
  /** Lazy paired sessions only: the model's running cost estimates. */
  costs?: LazyBaseCosts;
  fork(): SteppableSession;
  dispose(): void;
}

export function toSteppable(session: DecodeSession | PairedSession): SteppableSession {
  const stepper: SteppableSession = {
    async append(tokens) {
      const out = await session.append(tokens);
      return out instanceof Float32Array
        ? { adapted: out, base: undefined }
        : { adapted: out.adapted, base: out.base, steered: out.steered };
    },
    fork: () => toSteppable(session.fork()),
    dispose: () => session.dispose(),
  };
  if (isLazyPaired(session)) {
    stepper.appendAdapted = async (tokens) => ({
      adapted: await session.appendAdapted(tokens),
      base: undefined,
    });
    stepper.catchUpBase = () => session.catchUpBase();
    stepper.costs = session.costs;
  }
  return stepper;
}

export interface LazyBaseOptions {
  /** Whether step times feed the cost estimates (default true; not while beams run concurrently). */
  measure?: boolean;
  /** Skip the base on every step that allows it, prompt included, whatever the costs. */
  always?: boolean;
}

/**
 * Lazy base decoding for one session: which append to use next, and the base logits a step needs.
 * The prompt goes in eagerly. After a step that did not need the base model, the next one runs on
 * the adapted model alone when the model's running cost estimates say the run it starts pays for
 * the catch-up (`LazyBaseCosts`); once the base is behind, steps stay adapted-only until one needs
 * it. Which way a step runs never changes its logits, only its cost.
 */
export class LazyBase {
  skipped = 0;
  steps = 0;
  #nextLazy = false;
  #lastFree = false;
  /** The base model is behind the adapted one. */
  #behind = false;
  /** The last step ended with a catch-up. */
  #caughtUp = false;

  constructor(
    readonly active: boolean,
    private readonly costs: LazyBaseCosts | undefined,
    private readonly options: LazyBaseOptions = {},
  ) {
    // the prompt goes in lazily when no step will need the base, or when asked to skip all it can
    this.#nextLazy = options.always === true;
  }

  /** A copy for a forked session (beam search). */
  fork(): LazyBase {
    const copy = new LazyBase(this.active, this.costs, this.options);
    copy.#nextLazy = this.#nextLazy;
    copy.#lastFree = this.#lastFree;
    copy.#behind = this.#behind;
    copy.#caughtUp = this.#caughtUp;
    return copy;
  }

  async append(session: SteppableSession, tokens: ArrayLike<number>): Promise<StepLogits> {
    if (!this.active) return session.append(tokens);
    const lazy = this.#nextLazy;
    const kind: LazyStepKind = lazy
      ? this.#behind
        ? 'adapted'
        : 'firstAdapted'
      : this.#caughtUp
        ? 'eagerAfterCatchUp'
        : 'eager';
    const started = performance.now();
    const out = lazy ? await session.appendAdapted!(tokens) : await session.append(tokens);
    if (this.options.measure !== false && tokens.length === 1)
      this.costs!.observe(kind, performance.now() - started);
    this.#behind = lazy;
    this.#caughtUp = false;
    return out;
  }

  /** The logits of this step, with the base model's when the steer stage needs them. */
  async complete(
    session: SteppableSession,
    logits: StepLogits,
    resolved: ResolvedOptions,
  ): Promise<StepLogits> {
    if (!this.active) return logits;
    const costs = this.costs!;
    const needed = resolved.steer!.needsBase(logits.adapted);
    if (this.#lastFree) costs.observeContinuation(!needed);
    let out = logits;
    if (needed && !logits.base) {
      const started = performance.now();
      out = { adapted: logits.adapted, base: await session.catchUpBase!() };
      if (this.options.measure !== false) costs.observe('catchUp', performance.now() - started);
      this.#behind = false;
      this.#caughtUp = true;
    }
    this.steps++;
    if (!out.base) this.skipped++;
    this.#lastFree = !needed;
    // a base already behind owes its catch-up anyway: stay adapted-only until a step needs it
    this.#nextLazy = !needed && (this.#behind || this.options.always === true || costs.lazyPays());
    return out;
  }
}

/** Steering needs the base logits: refuses a plain session when it is on. */
export function requireBase(logits: StepLogits, resolved: ResolvedOptions): void {
  if (resolved.steer && !logits.base) {
    throw new SvdecodeError('BAD_ARGUMENT', 'steering needs a PairedSession (base and adapted logits)', {
      hint: 'Pair the base and adapted sessions (pairSessions or the backend paired session), or turn steering off.',
    });
  }
}

import { type DecodeSession, isLazyPaired, type PairedSession, SvdecodeError } from '@svdecode/core';
import type { ResolvedOptions } from './options.js';

/** One decoding step's raw logits: the adapted model's, and the base model's when paired. */
export interface StepLogits {
  adapted: Float32Array;
  base: Float32Array | undefined;
}

/** Either kind of session behind one small interface. */
export interface Stepper {
  /** Both models when paired (the eager step). */
  append(tokens: ArrayLike<number>): Promise<StepLogits>;
  /** Lazy paired sessions only: the adapted model alone (`base` undefined). */
  appendAdapted?(tokens: ArrayLike<number>): Promise<StepLogits>;
  /** Lazy paired sessions only: the base model's logits now, after it catches up. */
  catchUpBase?(): Promise<Float32Array>;
  fork(): Stepper;
  dispose(): void;
}

export function toStepper(session: DecodeSession | PairedSession): Stepper {
  const stepper: Stepper = {
    async append(tokens) {
      const out = await session.append(tokens);
      return out instanceof Float32Array
        ? { adapted: out, base: undefined }
        : { adapted: out.adapted, base: out.base };
    },
    fork: () => toStepper(session.fork()),
    dispose: () => session.dispose(),
  };
  if (isLazyPaired(session)) {
    stepper.appendAdapted = async (tokens) => ({
      adapted: await session.appendAdapted(tokens),
      base: undefined,
    });
    stepper.catchUpBase = () => session.catchUpBase();
  }
  return stepper;
}

/**
 * Lazy base decoding for one session: which append to use next, and the base logits a step needs.
 * Steps after a skipped one append to the adapted model alone (confident runs tend to continue);
 * the others append eagerly, so a step that needs the base model rarely waits for a catch-up.
 */
export class LazyBase {
  skipped = 0;
  steps = 0;
  #lastSkipped: boolean;

  constructor(
    readonly active: boolean,
    lastSkipped = true,
  ) {
    this.#lastSkipped = lastSkipped;
  }

  /** A copy for a forked session (beam search). */
  fork(): LazyBase {
    const copy = new LazyBase(this.active, this.#lastSkipped);
    return copy;
  }

  append(session: Stepper, tokens: ArrayLike<number>): Promise<StepLogits> {
    return this.active && this.#lastSkipped ? session.appendAdapted!(tokens) : session.append(tokens);
  }

  /** The logits of this step, with the base model's when the steer stage needs them. */
  async complete(session: Stepper, logits: StepLogits, resolved: ResolvedOptions): Promise<StepLogits> {
    let out = logits;
    if (this.active && !logits.base && resolved.steer!.needsBase(logits.adapted))
      out = { adapted: logits.adapted, base: await session.catchUpBase!() };
    const skipped = this.active && !out.base;
    this.steps++;
    if (skipped) this.skipped++;
    this.#lastSkipped = skipped;
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

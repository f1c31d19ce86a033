import { type DecodeSession, type PairedSession, SvdecodeError } from '@svdecode/core';
import type { ResolvedOptions } from './options.js';

/** One decoding step's raw logits: the adapted model's, and the base model's when paired. */
export interface StepLogits {
  adapted: Float32Array;
  base: Float32Array | undefined;
}

/** Either kind of session behind one small interface. */
export interface Stepper {
  append(tokens: ArrayLike<number>): Promise<StepLogits>;
  fork(): Stepper;
  dispose(): void;
}

export function toStepper(session: DecodeSession | PairedSession): Stepper {
  return {
    async append(tokens) {
      const out = await session.append(tokens);
      return out instanceof Float32Array
        ? { adapted: out, base: undefined }
        : { adapted: out.adapted, base: out.base };
    },
    fork: () => toStepper(session.fork()),
    dispose: () => session.dispose(),
  };
}

/** Steering needs the base logits: refuses a plain session when it is on. */
export function requireBase(logits: StepLogits, resolved: ResolvedOptions): void {
  if (resolved.steer && !logits.base) {
    throw new SvdecodeError('BAD_ARGUMENT', 'steering needs a PairedSession (base and adapted logits)', {
      hint: 'Pair the base and adapted sessions (pairSessions or the backend paired session), or turn steering off.',
    });
  }
}

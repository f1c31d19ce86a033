import type { DecodeSession, PairedSession } from '@svdecode/core';

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

import { SvdecodeError } from '@svdecode/core';
import { Rng } from '../random.js';
import { maxLogit, sumExp } from '../select.js';
import type { Selector } from '../stage.js';

function nothingLeft(): never {
  throw new SvdecodeError('NON_FINITE_LOGITS', 'every token was filtered out (all logits are -Infinity)', {
    hint: 'Loosen the sampler settings (top-k, top-p, min-p, logit bias) so at least one token remains.',
  });
}

/** The highest logit; ties go to the lowest token id. */
export class GreedySelector implements Selector {
  readonly name = 'greedy';
  select(logits: Float32Array): number {
    let best = -1;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < logits.length; i++) {
      if (logits[i]! > max) {
        max = logits[i]!;
        best = i;
      }
    }
    if (best < 0) nothingLeft();
    return best;
  }
}

/** A draw from softmax(logits) with a seeded PRNG (same seed, same tokens, on every platform). */
export class DrawSelector implements Selector {
  readonly name = 'draw';
  #rng: Rng;
  readonly #seed: number;
  constructor(seed = 0, rng?: Rng) {
    this.#seed = seed;
    this.#rng = rng ?? new Rng(seed);
  }
  select(logits: Float32Array): number {
    const max = maxLogit(logits);
    if (max === Number.NEGATIVE_INFINITY) nothingLeft();
    const target = this.#rng.next() * sumExp(logits, max);
    let cum = 0;
    let last = -1;
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i]!;
      if (v === Number.NEGATIVE_INFINITY) continue;
      cum += Math.exp(v - max);
      last = i;
      if (cum > target) return i;
    }
    return last;
  }
  /** Replays the stream from the seed. */
  reset(): void {
    this.#rng = new Rng(this.#seed);
  }
  clone(): DrawSelector {
    return new DrawSelector(this.#seed, this.#rng.clone());
  }
}

export const greedy = () => new GreedySelector();
export const draw = (seed?: number) => new DrawSelector(seed);

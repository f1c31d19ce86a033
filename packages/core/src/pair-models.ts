import { SvdecodeError } from './errors.js';
import { LazyBaseCosts } from './lazy-costs.js';
import type { CausalLM, DecodeSession, ModelInfo } from './model.js';
import type { LazyPairedSession, PairedCausalLM, PairedLogits, PairedSession } from './paired.js';
import { lazyPairSessions, pairSessions } from './session-pairs.js';
import { checkSameVocab } from './validate.js';

class TwoModelPair implements PairedCausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  readonly #costs = new LazyBaseCosts();

  constructor(
    private readonly base: CausalLM,
    private readonly adapted: CausalLM,
  ) {
    checkSameVocab(base.vocabSize, adapted.vocabSize, 'base and adapted models');
    this.vocabSize = adapted.vocabSize;
    this.info = adapted.info;
  }

  createSession(): DecodeSession {
    return this.adapted.createSession();
  }

  score(tokens: ArrayLike<number>): Promise<Float32Array> {
    return this.adapted.score(tokens);
  }

  createPairedSession(): PairedSession {
    const base = this.base.createSession();
    let adapted: DecodeSession | undefined;
    try {
      adapted = this.adapted.createSession();
      return pairSessions(base, adapted);
    } catch (error) {
      base.dispose();
      adapted?.dispose();
      throw error;
    }
  }

  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const [base, adapted] = await Promise.all([this.base.score(tokens), this.adapted.score(tokens)]);
    return { base, adapted };
  }

  createLazyPairedSession(): LazyPairedSession {
    const base = this.base.createSession();
    let adapted: DecodeSession | undefined;
    try {
      adapted = this.adapted.createSession();
      return lazyPairSessions(base, adapted, this.#costs);
    } catch (error) {
      base.dispose();
      adapted?.dispose();
      throw error;
    }
  }
}

/**
 * The paired session steered decoding should use: lazy (the base model runs only on the steps that
 * need it) when the model has one and `lazyBase` is not false, else the eager one. A model whose
 * lazy session cannot be made (LAZY_BASE_UNSUPPORTED: its base cannot prefill into an existing
 * cache) falls back to the eager session, and `onFallback` hears why.
 */
export function steeringSession(
  model: PairedCausalLM,
  options: { lazyBase?: boolean | 'always'; onFallback?: (error: SvdecodeError) => void } = {},
): PairedSession {
  if (options.lazyBase === false || !model.createLazyPairedSession) return model.createPairedSession();
  try {
    return model.createLazyPairedSession();
  } catch (error) {
    if (!(error instanceof SvdecodeError && error.code === 'LAZY_BASE_UNSUPPORTED')) throw error;
    options.onFallback?.(error);
    return model.createPairedSession();
  }
}

/**
 * Two separately loaded models (same tokenizer) as one `PairedCausalLM`: plain sessions and `score`
 * are the adapted model's. Throws VOCAB_MISMATCH when their vocabularies differ. Disposing the pair
 * is left to the owner of the two models.
 */
export function pairModels(base: CausalLM, adapted: CausalLM): PairedCausalLM {
  return new TwoModelPair(base, adapted);
}

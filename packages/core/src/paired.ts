import { SvdecodeError } from './errors.js';
import type { CausalLM, DecodeSession, ModelInfo } from './model.js';
import { checkSameVocab, checkTokens } from './validate.js';

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
 * A causal LM that is the adapted model of a (base, adapted) pair and also gives the base model's
 * logits for the same context: what calibration (`scorePaired`) and steered decoding
 * (`createPairedSession`) need. Backends with weight-sharing adapters implement it with one
 * batched forward; `pairModels` builds one from two separate models.
 */
export interface PairedCausalLM extends CausalLM {
  createPairedSession(): PairedSession;
  /** Teacher-forced logits of both models for the same tokens (row-major, as `score`). */
  scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits>;
}

/** Whether a model can give base and adapted logits together. */
export function isPaired(model: CausalLM): model is PairedCausalLM {
  const m = model as Partial<PairedCausalLM>;
  return typeof m.createPairedSession === 'function' && typeof m.scorePaired === 'function';
}

class TwoModelPair implements PairedCausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;

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
    try {
      return new TwoSessionPair(base, this.adapted.createSession());
    } catch (error) {
      base.dispose();
      throw error;
    }
  }

  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const [base, adapted] = await Promise.all([this.base.score(tokens), this.adapted.score(tokens)]);
    return { base, adapted };
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

class TwoSessionPair implements PairedSession {
  readonly vocabSize: number;
  #disposed = false;

  constructor(
    private readonly base: DecodeSession,
    private readonly adapted: DecodeSession,
  ) {
    checkSameVocab(base.vocabSize, adapted.vocabSize, 'base and adapted models');
    this.vocabSize = base.vocabSize;
  }

  get length(): number {
    return this.adapted.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed paired session');
    checkTokens(tokens, this.vocabSize); // before either session moves
    const [base, adapted] = await Promise.all([this.base.append(tokens), this.adapted.append(tokens)]);
    return { base, adapted };
  }

  fork(): PairedSession {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed paired session');
    const base = this.base.fork();
    try {
      return new TwoSessionPair(base, this.adapted.fork());
    } catch (error) {
      base.dispose();
      throw error;
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.base.dispose();
    this.adapted.dispose();
  }
}

/** Pairs two sessions at the same position. Throws VOCAB_MISMATCH when their vocabularies differ. */
export function pairSessions(base: DecodeSession, adapted: DecodeSession): PairedSession {
  if (base.length !== adapted.length) {
    throw new SvdecodeError(
      'BAD_ARGUMENT',
      `sessions to pair must be at the same position (${base.length} vs ${adapted.length})`,
    );
  }
  return new TwoSessionPair(base, adapted);
}

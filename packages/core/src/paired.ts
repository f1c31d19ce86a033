import { SvdecodeError } from './errors.js';
import type { DecodeSession } from './model.js';
import { checkSameVocab } from './validate.js';

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

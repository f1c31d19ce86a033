import { SvdecodeError } from './errors.js';
import { LazyBaseCosts } from './lazy-costs.js';
import type { DecodeSession } from './model.js';
import type { LazyPairedSession, PairedLogits } from './paired.js';
import { checkSameVocab, checkTokens } from './validate.js';

/**
 * The generic lazy pair over two sessions: each model keeps its own cache, and the base one runs
 * only when asked. Backends that batch base and adapted rows can do better on eager steps.
 */
class SplitLazyPair implements LazyPairedSession {
  readonly vocabSize: number;
  #pending: number[];
  #lastBase: Float32Array | undefined;
  #disposed = false;

  constructor(
    private readonly base: DecodeSession,
    private readonly adapted: DecodeSession,
    readonly costs: LazyBaseCosts,
    pending: number[] = [],
    lastBase?: Float32Array,
  ) {
    checkSameVocab(base.vocabSize, adapted.vocabSize, 'base and adapted models');
    this.vocabSize = adapted.vocabSize;
    this.#pending = pending;
    this.#lastBase = lastBase;
  }

  get length(): number {
    return this.adapted.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  get baseBehind(): number {
    return this.#pending.length;
  }

  #check(what: string, tokens?: ArrayLike<number>): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', `${what}() on a disposed paired session`);
    if (tokens) checkTokens(tokens, this.vocabSize); // before either session moves
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    this.#check('append', tokens);
    const baseTokens = this.#pending.length > 0 ? [...this.#pending, ...Array.from(tokens)] : tokens;
    const [base, adapted] = await Promise.all([this.base.append(baseTokens), this.adapted.append(tokens)]);
    this.#pending = [];
    this.#lastBase = base;
    return { base, adapted };
  }

  async appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array> {
    this.#check('appendAdapted', tokens);
    const adapted = await this.adapted.append(tokens);
    for (let i = 0; i < tokens.length; i++) this.#pending.push(tokens[i]!);
    this.#lastBase = undefined;
    return adapted;
  }

  async catchUpBase(): Promise<Float32Array> {
    this.#check('catchUpBase');
    if (this.#pending.length === 0) {
      if (!this.#lastBase)
        throw new SvdecodeError('BAD_ARGUMENT', 'catchUpBase() before any token was appended');
      return this.#lastBase;
    }
    const base = await this.base.append(this.#pending);
    this.#pending = [];
    this.#lastBase = base;
    return base;
  }

  fork(): LazyPairedSession {
    this.#check('fork');
    const base = this.base.fork();
    try {
      return new SplitLazyPair(base, this.adapted.fork(), this.costs, [...this.#pending], this.#lastBase);
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

/**
 * Two sessions at the same position as a `LazyPairedSession`. VOCAB_MISMATCH when vocabularies
 * differ. Pass one `costs` for all the pairs of the same two models, so that what one generation
 * measured informs the next.
 */
export function lazyPairSessions(
  base: DecodeSession,
  adapted: DecodeSession,
  costs: LazyBaseCosts = new LazyBaseCosts(),
): LazyPairedSession {
  if (base.prefillsIntoCache === false) {
    throw new SvdecodeError(
      'LAZY_BASE_UNSUPPORTED',
      'lazy base decoding needs a base session that can prefill several tokens into an existing cache',
    );
  }
  if (base.length !== adapted.length) {
    throw new SvdecodeError(
      'BAD_ARGUMENT',
      `sessions to pair must be at the same position (${base.length} vs ${adapted.length})`,
    );
  }
  return new SplitLazyPair(base, adapted, costs);
}

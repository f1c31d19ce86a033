import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import {
  checkTokens,
  type DecodeSession,
  type ModelInfo,
  type LazyPairedSession,
  lazyPairSessions,
  type PairedCausalLM,
  type PairedLogits,
  type PairedSession,
  SvdecodeError,
} from '@svdecode/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from './adapter.js';
import { appendRows, prefill, type RowState, rowLogits } from './runtime.js';

/**
 * A base model with an adapter attached. As a `CausalLM` it is the adapted model; it also makes
 * `PairedSession`s that decode base and adapted rows in one batched forward (no second copy of the
 * weights). The base model's weights are shared, never modified.
 */
export class AdaptedModel implements PairedCausalLM {
  readonly info: ModelInfo;
  /** Sessions (plain and paired) created and not yet disposed. */
  liveSessions = 0;

  constructor(
    readonly base: TfjsCausalLM,
    readonly adapter: Adapter,
  ) {
    this.info = { ...base.info, name: `${base.info.name}+${adapter.type.toLowerCase()}` };
  }

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  createSession(): DecodeSession {
    return new AdaptedSession(this);
  }

  /** Base and adapted logits per step from one batched forward of two rows. */
  createPairedSession(): PairedSession {
    return new BaseAndAdaptedSession(this);
  }

  /**
   * Lazy base decoding: the adapted model and the base model in sessions of their own, the base one
   * run only when asked (it catches up on the tokens it missed in one forward).
   */
  createLazyPairedSession(): LazyPairedSession {
    const base = this.base.createSession();
    try {
      return lazyPairSessions(base, new AdaptedSession(this));
    } catch (error) {
      base.dispose();
      throw error;
    }
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    return (await this.scoreRows([Array.from(tokens)], [true]))[0]!;
  }

  /** Teacher-forced logits of both models for the same tokens, in one batched forward. */
  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    checkTokens(tokens, this.vocabSize);
    const t = Array.from(tokens);
    const [base, adapted] = await this.scoreRows([t, t], [false, true]);
    return { base: base!, adapted: adapted! };
  }

  /** Rows of different lengths, each base or adapted; each row's logits cover its own tokens. */
  async scoreRows(rows: number[][], adapted: boolean[]): Promise<Float32Array[]> {
    const logits = tf.tidy(() => rowLogits(this.base, this.adapter, rows, adapted));
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    const V = this.vocabSize;
    const seq = logits.shape[1];
    return rows.map((r, b) => data.slice(b * seq * V, (b * seq + r.length) * V));
  }

  /** Disposes the adapter (the base model stays usable). */
  dispose(): void {
    this.adapter.dispose();
  }
}

/**
 * Rows decoding the same tokens in lockstep, each base or adapted, with their KV cache; `step`
 * returns the last position's logits of every row, row after row.
 */
abstract class RowStepper {
  #state: RowState | undefined;
  #length = 0;
  #disposed = false;

  constructor(
    protected readonly model: AdaptedModel,
    private readonly rows: boolean[],
    from?: RowStepper,
  ) {
    if (from) {
      const s = from.#state;
      this.#state = s
        ? {
            cache: s.cache?.map((l) => ({ k: tf.clone(l.k), v: tf.clone(l.v) })),
            valid: s.valid.map((v) => v.slice()),
            nextPos: [...s.nextPos],
          }
        : undefined;
      this.#length = from.#length;
    }
    model.liveSessions++;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  protected async step(tokens: ArrayLike<number>): Promise<Float32Array> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
    checkTokens(tokens, this.model.vocabSize);
    const { base, adapter } = this.model;
    const previous = this.#state;
    let next: RowState | undefined;
    const [logits] = tf.tidy(() => {
      const start = previous ?? prefill(base, adapter, this.rows);
      const r = appendRows(base, adapter, this.rows, start, tokens, true);
      next = r.state;
      // keep the logits and the new cache; tidy frees everything else (the first prefill included)
      return [r.out.logits, ...(r.state.cache ?? []).flatMap((l) => [l.k, l.v])];
    });
    const data = (await logits!.data()) as Float32Array;
    logits!.dispose();
    if (this.#disposed) {
      disposeState(next!);
      throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during append()');
    }
    if (previous) disposeState(previous);
    this.#state = next;
    this.#length += tokens.length;
    return data;
  }

  protected checkForkable(): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#state) disposeState(this.#state);
    this.#state = undefined;
    this.model.liveSessions--;
  }
}

/** The adapted model alone: one row. */
class AdaptedSession extends RowStepper implements DecodeSession {
  constructor(model: AdaptedModel, from?: AdaptedSession) {
    super(model, [true], from);
  }

  append(tokens: ArrayLike<number>): Promise<Float32Array> {
    return this.step(tokens);
  }

  fork(): AdaptedSession {
    this.checkForkable();
    return new AdaptedSession(this.model, this);
  }
}

/** Row 0 the base model, row 1 the adapted one, in one batched forward. */
class BaseAndAdaptedSession extends RowStepper implements PairedSession {
  constructor(model: AdaptedModel, from?: BaseAndAdaptedSession) {
    super(model, [false, true], from);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const data = await this.step(tokens);
    const V = this.model.vocabSize;
    return { base: data.slice(0, V), adapted: data.slice(V, 2 * V) };
  }

  fork(): BaseAndAdaptedSession {
    this.checkForkable();
    return new BaseAndAdaptedSession(this.model, this);
  }
}

function disposeState(state: RowState): void {
  for (const l of state.cache ?? []) tf.dispose([l.k, l.v]);
}

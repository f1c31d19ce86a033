import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import {
  checkTokens,
  type DecodeSession,
  LazyPairedRowSession,
  type LazyPairedSession,
  type ModelInfo,
  type PairedCausalLM,
  type PairedLogits,
  PairedRowSession,
  type PairedSession,
  RowSession,
} from '@svdecode/core';
import * as tf from '@tensorflow/tfjs-core';
import { AdaptedRows } from './adapted-rows.js';
import type { Adapter } from './adapter.js';
import { rowLogits } from './runtime.js';

/**
 * A base model with an adapter attached. As a `CausalLM` it is the adapted model; it also makes
 * `PairedSession`s that decode base and adapted rows in one batched forward (no second copy of the
 * weights). The base model's weights are shared, never modified.
 */
export class AdaptedModel implements PairedCausalLM {
  readonly info: ModelInfo;
  /** Base and adapted rows in one forward: sessions are core's session machine on it. */
  readonly #rows: AdaptedRows;

  constructor(
    readonly base: TfjsCausalLM,
    readonly adapter: Adapter,
  ) {
    this.info = { ...base.info, name: `${base.info.name}+${adapter.type.toLowerCase()}` };
    this.#rows = new AdaptedRows(base, adapter);
  }

  /** Sessions (plain and paired) created and not yet disposed. */
  get liveSessions(): number {
    return this.#rows.liveSessions;
  }

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  createSession(): DecodeSession {
    return new RowSession(this.#rows, 'adapted');
  }

  /** Base and adapted logits per step from one batched forward of two rows. */
  createPairedSession(): PairedSession {
    return new PairedRowSession(this.#rows);
  }

  /**
   * Lazy base decoding: eager steps run base and adapted rows in one batched forward (as
   * `createPairedSession`); adapted-only steps run one row, and the base row catches up in one
   * forward when a step needs it.
   */
  createLazyPairedSession(): LazyPairedSession {
    return new LazyPairedRowSession(this.#rows);
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

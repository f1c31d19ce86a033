import {
  checkTokens,
  type DecodeSession,
  type PairedLogits,
  type PairedSession,
  SvdecodeError,
} from '@svdecode/core';
import type * as ort from 'onnxruntime-node';
import type { OrtRunner } from './ort-runner.js';

/** Rows decoding the same tokens with a shared KV cache; `step` returns every row's logits. */
abstract class OrtRowsSession {
  #cache: ort.Tensor[] | undefined;
  #length = 0;
  #disposed = false;

  constructor(
    protected readonly runner: OrtRunner,
    /** Per-row adapter scale for paired exports; undefined for plain graphs (one row). */
    private readonly scale: number[] | undefined,
    from?: OrtRowsSession,
  ) {
    // onnxruntime outputs are fresh tensors every run and never written in place: forks share them
    if (from) {
      this.#cache = from.#cache;
      this.#length = from.#length;
    }
    runner.liveSessions++;
  }

  get vocabSize(): number {
    return this.runner.vocabSize;
  }

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** The last position's logits of row `row` of the latest step. */
  protected async step(tokens: ArrayLike<number>): Promise<(row: number) => Float32Array> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
    checkTokens(tokens, this.runner.vocabSize);
    const rows = this.scale?.length ?? 1;
    const seq = tokens.length;
    const { logits, present, positions } = await this.runner.run(
      Array.from(tokens),
      rows,
      this.#length,
      this.#cache,
      this.scale,
    );
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during append()');
    this.#cache = present;
    this.#length += seq;
    const V = this.runner.vocabSize;
    return (row) => logits.slice((row * positions + positions - 1) * V, (row * positions + positions) * V);
  }

  protected checkForkable(): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#cache = undefined;
    this.runner.liveSessions--;
  }
}

export class OrtPlainSession extends OrtRowsSession implements DecodeSession {
  constructor(
    runner: OrtRunner,
    private readonly rowScale: number[] | undefined,
    from?: OrtPlainSession,
  ) {
    super(runner, rowScale, from);
  }

  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    return (await this.step(tokens))(0);
  }

  fork(): OrtPlainSession {
    this.checkForkable();
    return new OrtPlainSession(this.runner, this.rowScale, this);
  }
}

/** Row 0 the base model (adapter scale 0), row 1 the adapted one. */
export class OrtPairedSession extends OrtRowsSession implements PairedSession {
  constructor(runner: OrtRunner, from?: OrtPairedSession) {
    super(runner, [0, 1], from);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const row = await this.step(tokens);
    return { base: row(0), adapted: row(1) };
  }

  fork(): OrtPairedSession {
    this.checkForkable();
    return new OrtPairedSession(this.runner, this);
  }
}

import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { LazyBaseCosts, type PairedRowRunner, type RowKind, type RowRun } from '@svdecode/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from './adapter.js';
import { appendRows, prefill, type RowState } from './runtime.js';

/**
 * A base model and its adapter as core's `RowRunner`: base and adapted rows in one batched forward
 * that reads the base weights once (see runtime.ts). Core's session machine does the rest.
 */
export class AdaptedRows implements PairedRowRunner<RowState> {
  liveSessions = 0;
  readonly lazyCosts = new LazyBaseCosts();

  constructor(
    private readonly base: TfjsCausalLM,
    private readonly adapter: Adapter,
  ) {}

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  /** Rows run from `state` (the first prefill when undefined); `state` is freed once the run succeeded. */
  async run(
    rows: readonly RowKind[],
    state: RowState | undefined,
    _past: number,
    tokens: number[],
  ): Promise<RowRun<RowState>> {
    const adapted = rows.map((r) => r === 'adapted');
    let next: RowState | undefined;
    const [logits] = tf.tidy(() => {
      const start = state ?? prefill(this.base, this.adapter, adapted);
      const r = appendRows(this.base, this.adapter, adapted, start, tokens, true);
      next = r.state;
      // keep the logits and the new cache; tidy frees everything else (the first prefill included)
      return [r.out.logits, ...(r.state.cache ?? []).flatMap((l) => [l.k, l.v])];
    });
    let data: Float32Array;
    try {
      data = (await logits!.data()) as Float32Array;
    } catch (error) {
      this.dispose(next!);
      throw error;
    } finally {
      logits!.dispose();
    }
    if (state) this.dispose(state);
    const V = this.vocabSize;
    return { logits: (row) => data.slice(row * V, (row + 1) * V), state: next! };
  }

  split(joint: RowState): [RowState, RowState] {
    const rows = [row(joint, 0), row(joint, 1)] as [RowState, RowState];
    this.dispose(joint);
    return rows;
  }

  join(base: RowState, adapted: RowState): RowState {
    const joint: RowState = {
      cache: base.cache?.map((l, i) => ({
        k: tf.concat([l.k, adapted.cache![i]!.k], 0) as tf.Tensor4D,
        v: tf.concat([l.v, adapted.cache![i]!.v], 0) as tf.Tensor4D,
      })),
      valid: [base.valid[0]!.slice(), adapted.valid[0]!.slice()],
      nextPos: [base.nextPos[0]!, adapted.nextPos[0]!],
    };
    this.dispose(base);
    this.dispose(adapted);
    return joint;
  }

  /** tf.clone shares the underlying data (reference counted); caches are never written in place. */
  fork(state: RowState): RowState {
    return {
      cache: state.cache?.map((l) => ({ k: tf.clone(l.k), v: tf.clone(l.v) })),
      valid: state.valid.map((v) => v.slice()),
      nextPos: [...state.nextPos],
    };
  }

  dispose(state: RowState): void {
    for (const l of state.cache ?? []) tf.dispose([l.k, l.v]);
  }
}

function row(state: RowState, r: number): RowState {
  return {
    cache: state.cache?.map((l) => ({
      k: tf.slice(l.k, [r, 0, 0, 0], [1, -1, -1, -1]),
      v: tf.slice(l.v, [r, 0, 0, 0], [1, -1, -1, -1]),
    })),
    valid: [state.valid[r]!.slice()],
    nextPos: [state.nextPos[r]!],
  };
}

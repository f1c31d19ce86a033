import type { ForwardHooks, ForwardOutput, LayerCache, TfjsCausalLM } from '@svdecode/backend-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from './adapter.js';

/**
 * Runs batches whose rows are either base rows (adapter off) or adapted rows (adapter on) through
 * one forward pass that reads the base weights once: weight-sharing adapters switch per row with
 * the row scale (0 or 1); prompt methods give adapted rows their virtual tokens and hide those
 * slots from base rows with the attention mask. Real tokens of adapted rows sit at positions after
 * the virtual tokens (as PEFT does); base rows start at 0.
 */
export interface RowState {
  cache: LayerCache[] | undefined;
  /** Per row: which cached keys may be attended. */
  valid: Uint8Array[];
  /** Per row: rotary position of the next token. */
  nextPos: number[];
}

function rowScaleOf(adapter: Adapter, adapted: boolean[]): tf.Tensor1D | undefined {
  return adapter.hooks ? tf.tensor1d(adapted.map((a) => (a ? 1 : 0))) : undefined;
}

/** Cache and masks holding each row's virtual tokens (nothing for adapters without a prefix). Call inside tf.tidy. */
export function prefill(model: TfjsCausalLM, adapter: Adapter, adapted: boolean[]): RowState {
  const n = adapter.numVirtualTokens;
  const batch = adapted.length;
  if (!adapter.prefix || n === 0)
    return { cache: undefined, valid: adapted.map(() => new Uint8Array(0)), nextPos: adapted.map(() => 0) };
  const valid = adapted.map((a) => new Uint8Array(n).fill(a ? 1 : 0));
  const nextPos = adapted.map((a) => (a ? n : 0));
  const prefix = adapter.prefix();
  if (prefix.kind === 'kv') {
    const cache = prefix.layers.map(({ k, v }) => ({
      k: tf.stack(adapted.map((a) => (a ? k : tf.zerosLike(k)))) as tf.Tensor4D,
      v: tf.stack(adapted.map((a) => (a ? v : tf.zerosLike(v)))) as tf.Tensor4D,
    }));
    return { cache, valid, nextPos };
  }
  const out = model.forward({
    ids: new Int32Array(batch * n),
    batch,
    seq: n,
    positions: Int32Array.from({ length: batch * n }, (_, i) => i % n),
    keyValid: Uint8Array.from({ length: batch * n }, (_, i) => (adapted[Math.floor(i / n)] ? 1 : 0)),
    hooks: withPromptEmbeddings(adapter.hooks, prefix.embeds, adapted, n),
    rowScale: rowScaleOf(adapter, adapted),
  });
  return { cache: out.cache, valid, nextPos };
}

/** Replaces the first `n` input embeddings of adapted rows with the prompt. */
function withPromptEmbeddings(
  hooks: ForwardHooks | undefined,
  prompt: tf.Tensor2D,
  adapted: boolean[],
  n: number,
): ForwardHooks {
  return {
    ...hooks,
    embeddings: (x) => {
      const [, seq, d] = x.shape;
      const rows = adapted.map((a, b) => {
        const row = tf.reshape(tf.slice(x, [b, 0, 0], [1, seq, d]), [seq, d]);
        if (!a) return row;
        return seq === n ? prompt : tf.concat([prompt, tf.slice(row, [n, 0], [seq - n, d])], 0);
      });
      return tf.stack(rows) as tf.Tensor3D;
    },
  };
}

/**
 * Appends the same tokens to every row. Returns the logits ([rows, 1 or seq, V]) and the next
 * state; the caller disposes the previous cache. Call inside tf.tidy.
 */
export function appendRows(
  model: TfjsCausalLM,
  adapter: Adapter,
  adapted: boolean[],
  state: RowState,
  tokens: ArrayLike<number>,
  lastOnly: boolean,
): { out: ForwardOutput; state: RowState } {
  const batch = adapted.length;
  const seq = tokens.length;
  const ids = new Int32Array(batch * seq);
  const positions = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < seq; i++) {
      ids[b * seq + i] = tokens[i]!;
      positions[b * seq + i] = state.nextPos[b]! + i;
    }
  }
  const valid = state.valid.map((v) => {
    const next = new Uint8Array(v.length + seq);
    next.set(v);
    next.fill(1, v.length);
    return next;
  });
  const total = valid[0]!.length;
  const keyValid = new Uint8Array(batch * total);
  valid.forEach((v, b) => {
    keyValid.set(v, b * total);
  });
  const out = model.forward({
    ids,
    batch,
    seq,
    positions,
    keyValid,
    past: state.cache,
    lastOnly,
    hooks: adapter.hooks,
    rowScale: rowScaleOf(adapter, adapted),
  });
  return { out, state: { cache: out.cache, valid, nextPos: state.nextPos.map((p) => p + seq) } };
}

/**
 * Teacher-forced logits [rows, maxLen, V] of the real positions, rows right-padded (padding logits
 * are meaningless). Differentiable with respect to the adapter's variables: the trainer's forward.
 * Call inside tf.tidy or a gradient tape.
 */
export function rowLogits(
  model: TfjsCausalLM,
  adapter: Adapter,
  rows: number[][],
  adapted: boolean[],
): tf.Tensor3D {
  const seq = Math.max(...rows.map((r) => r.length));
  const padded = rows.map((r) => [...r, ...new Array<number>(seq - r.length).fill(0)]);
  const state = prefill(model, adapter, adapted);
  const batch = rows.length;
  const ids = Int32Array.from(padded.flat());
  const positions = new Int32Array(batch * seq);
  const prefixLen = state.valid[0]!.length;
  const total = prefixLen + seq;
  const keyValid = new Uint8Array(batch * total);
  for (let b = 0; b < batch; b++) {
    keyValid.set(state.valid[b]!, b * total);
    for (let i = 0; i < seq; i++) {
      positions[b * seq + i] = state.nextPos[b]! + i;
      keyValid[b * total + prefixLen + i] = i < rows[b]!.length ? 1 : 0;
    }
  }
  const out = model.forward({
    ids,
    batch,
    seq,
    positions,
    keyValid,
    past: state.cache,
    hooks: adapter.hooks,
    rowScale: rowScaleOf(adapter, adapted),
  });
  return out.logits;
}

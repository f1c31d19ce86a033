import type { LlamaConfig } from '@svdecode/hf-io';
import { ropeTables } from '@svdecode/hf-io';
import * as tf from '@tensorflow/tfjs-core';
import { matMulPlainGrad } from './matmul.js';
import type { LlamaWeights } from './weights.js';

/** One layer's cached keys and values, [batch, kvHeads, past, headDim]. */
export interface LayerCache {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/** What adapters can change inside a forward pass (LoRA, IA3, prompt methods). */
export interface ForwardHooks {
  /**
   * Called for every linear projection with its Hugging Face module path (for example
   * `model.layers.3.self_attn.q_proj`), the input `x` [rows, in], the weight [in, out] (stored
   * transposed, see LayerWeights) and bias, and
   * the base output `y` [rows, out] (rows = batch * seq, batch-major). Returns the output to use.
   * `rowScale` ([rows, 1], when the forward got one) carries each row's adapter scale: 0 for a base
   * row, 1 for an adapted row.
   */
  linear?(
    module: string,
    x: tf.Tensor2D,
    weight: tf.Tensor2D,
    bias: tf.Tensor1D | undefined,
    y: tf.Tensor2D,
    rowScale: tf.Tensor2D | undefined,
  ): tf.Tensor2D;
  /** Replaces or extends the input embeddings [batch, seq, hidden]; `rowScale` is the forward's [batch] scale. */
  embeddings?(embeds: tf.Tensor3D, rowScale: tf.Tensor1D | undefined): tf.Tensor3D;
}

export interface ForwardInput {
  /** Token ids, row-major [batch, seq]. */
  ids: Int32Array;
  batch: number;
  seq: number;
  /** Rotary positions of each input token, [batch, seq]. */
  positions: Int32Array;
  /** 1 for keys that may be attended, 0 for padding: [batch, past + seq]. Absent: all valid. */
  keyValid?: Uint8Array;
  past?: LayerCache[];
  /** Compute logits for the last position of each row only. */
  lastOnly?: boolean;
  hooks?: ForwardHooks;
  /** Input embeddings [batch, seq, hidden] to use instead of looking `ids` up. */
  inputEmbeds?: tf.Tensor3D;
  /** Per-row adapter scale [batch]; the linear hooks get it expanded to one value per token row. */
  rowScale?: tf.Tensor1D;
}

export interface ForwardOutput {
  /** [batch, seq or 1, vocab] */
  logits: tf.Tensor3D;
  /** Past plus this call's keys and values, per layer. */
  cache: LayerCache[];
}

const MASKED = -1e9; // not -Infinity: a fully masked (padding) query row must stay finite

function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const variance = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight);
}

function rotateHalf(x: tf.Tensor4D): tf.Tensor4D {
  const [x1, x2] = tf.split(x, 2, -1);
  return tf.concat([tf.neg(x2!), x1!], -1) as tf.Tensor4D;
}

/**
 * The Llama-family forward pass (RMSNorm, RoPE, grouped-query attention, SwiGLU, optional biases)
 * with a KV cache. Must run inside `tf.tidy` or dispose its outputs: returned tensors are the
 * caller's. Input cache tensors are not disposed.
 */
export function llamaForward(
  c: LlamaConfig,
  w: LlamaWeights,
  inv: Float64Array,
  input: ForwardInput,
): ForwardOutput {
  const { batch, seq, hooks, rowScale } = input;
  const past = input.past?.[0]?.k.shape[2] ?? 0;
  const total = past + seq;
  const H = c.numHeads;
  const KV = c.numKvHeads;
  const D = c.headDim;
  const group = H / KV;

  // the per-row scale as a column aligned with the [batch * seq, features] rows the hooks see
  const rowColumn = rowScale
    ? (tf.reshape(tf.mul(tf.reshape(rowScale, [batch, 1]), tf.ones([batch, seq])), [
        batch * seq,
        1,
      ]) as tf.Tensor2D)
    : undefined;
  const linear = (module: string, x2d: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D => {
    let y: tf.Tensor2D = matMulPlainGrad(x2d, weight);
    if (bias) y = tf.add(y, bias);
    return hooks?.linear ? hooks.linear(module, x2d, weight, bias, y, rowColumn) : y;
  };

  // inputEmbeds replaces the embedding lookup (a one-hot matmul keeps the embedding trainable on
  // wasm, which lacks gather's gradient)
  let hidden =
    input.inputEmbeds ??
    (tf.gather(w.embed, tf.tensor2d(input.ids, [batch, seq], 'int32')) as unknown as tf.Tensor3D);
  if (hooks?.embeddings) hidden = hooks.embeddings(hidden, rowScale);

  const { cos, sin } = ropeTables(inv, input.positions);
  const cosT = tf.tensor4d(cos, [batch, 1, seq, D]);
  const sinT = tf.tensor4d(sin, [batch, 1, seq, D]);
  const rope = (x: tf.Tensor4D) => tf.add(tf.mul(x, cosT), tf.mul(rotateHalf(x), sinT)) as tf.Tensor4D;

  // additive mask [batch, 1, 1, seq, total]: causal, and padding keys hidden
  const maskData = new Float32Array(seq === 1 && !input.keyValid ? 0 : batch * seq * total);
  for (let b = 0; b < batch && maskData.length > 0; b++) {
    for (let i = 0; i < seq; i++) {
      for (let j = 0; j < total; j++) {
        const visible = j <= past + i && (!input.keyValid || input.keyValid[b * total + j] === 1);
        maskData[(b * seq + i) * total + j] = visible ? 0 : MASKED;
      }
    }
  }
  // one new token with no padding sees every key: no mask needed (the common decoding step)
  const mask = maskData.length === 0 ? undefined : tf.tensor5d(maskData, [batch, 1, 1, seq, total]);
  const scale = 1 / Math.sqrt(D);
  const cache: LayerCache[] = [];

  for (let l = 0; l < c.numLayers; l++) {
    const L = w.layers[l]!;
    const p = `model.layers.${l}.`;
    const normed = tf.reshape(rmsNorm(hidden, L.inputNorm, c.rmsNormEps), [
      batch * seq,
      c.hiddenSize,
    ]) as tf.Tensor2D;
    const heads = (x: tf.Tensor2D, n: number) =>
      tf.transpose(tf.reshape(x, [batch, seq, n, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    const q = rope(heads(linear(`${p}self_attn.q_proj`, normed, L.q, L.qBias), H));
    let k = rope(heads(linear(`${p}self_attn.k_proj`, normed, L.k, L.kBias), KV));
    let v = heads(linear(`${p}self_attn.v_proj`, normed, L.v, L.vBias), KV);
    const prev = input.past?.[l];
    if (prev) {
      k = tf.concat([prev.k, k], 2) as tf.Tensor4D;
      v = tf.concat([prev.v, v], 2) as tf.Tensor4D;
    }
    cache.push({ k, v });
    // grouped-query attention without repeating K/V (tile is slow on wasm): the `group` query
    // heads that share a KV head are consecutive, so [b, H, s, D] is [b, KV, group * s, D]
    const grouped = tf.reshape(q, [batch, KV, group * seq, D]) as tf.Tensor4D;
    const scores = tf.reshape(tf.mul(tf.matMul(grouped, k, false, true), scale), [
      batch,
      KV,
      group,
      seq,
      total,
    ]);
    const probs = tf.reshape(tf.softmax(mask ? tf.add(scores, mask) : scores), [
      batch,
      KV,
      group * seq,
      total,
    ]) as tf.Tensor4D;
    const attn = tf.reshape(tf.matMul(probs, v), [batch, H, seq, D]);
    const merged = tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [batch * seq, H * D]) as tf.Tensor2D;
    const o = linear(`${p}self_attn.o_proj`, merged, L.o, L.oBias);
    hidden = tf.add(hidden, tf.reshape(o, [batch, seq, c.hiddenSize])) as tf.Tensor3D;

    const h2 = tf.reshape(rmsNorm(hidden, L.postNorm, c.rmsNormEps), [
      batch * seq,
      c.hiddenSize,
    ]) as tf.Tensor2D;
    const gate = linear(`${p}mlp.gate_proj`, h2, L.gate, L.gateBias);
    const up = linear(`${p}mlp.up_proj`, h2, L.up, L.upBias);
    const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D;
    const down = linear(`${p}mlp.down_proj`, act, L.down, L.downBias);
    hidden = tf.add(hidden, tf.reshape(down, [batch, seq, c.hiddenSize])) as tf.Tensor3D;
  }

  let final = rmsNorm(hidden, w.norm, c.rmsNormEps) as tf.Tensor3D;
  const rows = input.lastOnly ? 1 : seq;
  if (input.lastOnly && seq > 1) final = tf.slice(final, [0, seq - 1, 0], [batch, 1, c.hiddenSize]);
  const flat = tf.reshape(final, [batch * rows, c.hiddenSize]) as tf.Tensor2D;
  const logits = tf.reshape(matMulPlainGrad(flat, w.lmHead), [batch, rows, c.vocabSize]) as tf.Tensor3D;
  return { logits, cache };
}

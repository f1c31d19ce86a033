// An independent, straightforward Llama-family forward pass (naive loops, float64, no tensor
// library) for tests: it checks backends and drives integration tests on the real fixture
// checkpoints in fixtures/hf. Slow by design; tiny models only.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CausalLM, checkTokens, type DecodeSession, SvdecodeError } from '@svdecode/core';
import { type LlamaConfig, loadModelDirectory, readSafetensors, toFloat32 } from '@svdecode/hf-io';

/** The Hugging Face reference fixtures (fixtures/hf at the repo root). */
export const HF_DIR = fileURLToPath(new URL('../../../fixtures/hf/', import.meta.url));

interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface ReferenceWeights {
  config: LlamaConfig;
  get(name: string): Matrix;
  has(name: string): boolean;
}

/** Loads a fixture model directory into memory (float32). */
export async function loadReferenceWeights(dir: string): Promise<ReferenceWeights> {
  const model = await loadModelDirectory(dir, { tokenizer: false });
  const tensors = new Map<string, Matrix>();
  for (const name of model.weights.names()) {
    const info = model.weights.info(name);
    const data = await model.weights.readFloat32(name);
    tensors.set(name, { rows: info.shape[0] ?? 1, cols: info.shape[1] ?? 1, data });
  }
  await model.close();
  return {
    config: model.config,
    has: (name) => tensors.has(name),
    get: (name) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`missing ${name}`);
      return t;
    },
  };
}

/**
 * Merges a PEFT LoRA adapter directory into copies of the base weights: W + scaling * B A, with
 * scaling = alpha / r (alpha / sqrt(r) with use_rslora), honouring rank_pattern / alpha_pattern.
 */
export async function mergeLora(base: ReferenceWeights, adapterDir: string): Promise<ReferenceWeights> {
  const config = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8'));
  const tensors = await readSafetensors(join(adapterDir, 'adapter_model.safetensors'));
  const merged = new Map<string, Matrix>();
  for (const [key, a] of tensors) {
    if (!key.endsWith('.lora_A.weight')) continue;
    const module = key.slice('base_model.model.'.length, -'.lora_A.weight'.length);
    const b = tensors.get(key.replace('.lora_A.', '.lora_B.'))!;
    const A = toFloat32(a);
    const B = toFloat32(b);
    const r = a.shape[0]!;
    const pattern = (p: Record<string, number>) =>
      Object.entries(p).find(([k]) => new RegExp(`(^|\\.)${k}$`).test(module))?.[1];
    const alpha = pattern(config.alpha_pattern ?? {}) ?? config.lora_alpha;
    const scaling = config.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
    const w = base.get(`${module}.weight`);
    const out = Float32Array.from(w.data);
    for (let i = 0; i < w.rows; i++) {
      for (let j = 0; j < w.cols; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += B[i * r + k]! * A[k * w.cols + j]!;
        out[i * w.cols + j] = out[i * w.cols + j]! + scaling * s;
      }
    }
    merged.set(`${module}.weight`, { rows: w.rows, cols: w.cols, data: out });
  }
  if (merged.size === 0) throw new Error(`${adapterDir}: no LoRA tensors`);
  return {
    config: base.config,
    has: (n) => merged.has(n) || base.has(n),
    get: (n) => merged.get(n) ?? base.get(n),
  };
}

function ropeInvFreq(c: LlamaConfig): number[] {
  const half = c.headDim / 2;
  const inv = Array.from({ length: half }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / c.headDim));
  const s = c.ropeScaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

function matvec(m: Matrix, x: number[], bias?: Matrix): number[] {
  const out = new Array<number>(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = bias ? bias.data[i]! : 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

function rmsNorm(x: number[], w: Matrix, eps: number): number[] {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * inv * w.data[i]!);
}

/**
 * Logits of every position for one sequence. `positions` defaults to 0..n-1; `keyMask[j] = 0`
 * hides position j from every query (padding).
 */
export function referenceForward(w: ReferenceWeights, tokens: number[], keyMask?: number[]): Float32Array {
  const c = w.config;
  const n = tokens.length;
  const inv = ropeInvFreq(c);
  const embed = w.get('model.embed_tokens.weight');
  let hidden = tokens.map((t) => Array.from(embed.data.subarray(t * c.hiddenSize, (t + 1) * c.hiddenSize)));
  const rope = (v: number[], pos: number) => {
    const half = c.headDim / 2;
    const out = v.slice();
    for (let h = 0; h < v.length / c.headDim; h++) {
      for (let i = 0; i < half; i++) {
        const a = v[h * c.headDim + i]!;
        const b = v[h * c.headDim + i + half]!;
        const cos = Math.cos(pos * inv[i]!);
        const sin = Math.sin(pos * inv[i]!);
        out[h * c.headDim + i] = a * cos - b * sin;
        out[h * c.headDim + i + half] = b * cos + a * sin;
      }
    }
    return out;
  };
  const opt = (name: string) => (w.has(name) ? w.get(name) : undefined);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const normed = hidden.map((x) => rmsNorm(x, w.get(`${p}input_layernorm.weight`), c.rmsNormEps));
    const q = normed.map((x, t) =>
      rope(matvec(w.get(`${p}self_attn.q_proj.weight`), x, opt(`${p}self_attn.q_proj.bias`)), t),
    );
    const k = normed.map((x, t) =>
      rope(matvec(w.get(`${p}self_attn.k_proj.weight`), x, opt(`${p}self_attn.k_proj.bias`)), t),
    );
    const v = normed.map((x) =>
      matvec(w.get(`${p}self_attn.v_proj.weight`), x, opt(`${p}self_attn.v_proj.bias`)),
    );
    const group = c.numHeads / c.numKvHeads;
    const attn = hidden.map((_, t) => {
      const out = new Array<number>(c.numHeads * c.headDim).fill(0);
      for (let h = 0; h < c.numHeads; h++) {
        const kv = Math.floor(h / group);
        const scores: number[] = [];
        for (let j = 0; j <= t; j++) {
          if (keyMask && keyMask[j] === 0) {
            scores.push(Number.NEGATIVE_INFINITY);
            continue;
          }
          let s = 0;
          for (let d = 0; d < c.headDim; d++) s += q[t]![h * c.headDim + d]! * k[j]![kv * c.headDim + d]!;
          scores.push(s / Math.sqrt(c.headDim));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => (s === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - m)));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= t; j++) {
          for (let d = 0; d < c.headDim; d++)
            out[h * c.headDim + d]! += (e[j]! / z) * v[j]![kv * c.headDim + d]!;
        }
      }
      return out;
    });
    hidden = hidden.map((x, t) => {
      const o = matvec(w.get(`${p}self_attn.o_proj.weight`), attn[t]!, opt(`${p}self_attn.o_proj.bias`));
      return x.map((val, i) => val + o[i]!);
    });
    hidden = hidden.map((x) => {
      const h2 = rmsNorm(x, w.get(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
      const gate = matvec(w.get(`${p}mlp.gate_proj.weight`), h2);
      const up = matvec(w.get(`${p}mlp.up_proj.weight`), h2);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = matvec(w.get(`${p}mlp.down_proj.weight`), act);
      return x.map((val, i) => val + down[i]!);
    });
  }
  const head = c.tieWordEmbeddings ? embed : w.get('lm_head.weight');
  const out = new Float32Array(n * c.vocabSize);
  hidden.forEach((x, t) => {
    const normed = rmsNorm(x, w.get('model.norm.weight'), c.rmsNormEps);
    out.set(matvec(head, normed), t * c.vocabSize);
  });
  return out;
}

/** The reference forward as a CausalLM (sessions recompute from scratch: no cache to get wrong). */
export class ReferenceLM implements CausalLM {
  readonly vocabSize: number;
  readonly info;
  liveSessions = 0;

  constructor(
    readonly weights: ReferenceWeights,
    name = 'reference',
  ) {
    this.vocabSize = weights.config.vocabSize;
    this.info = {
      name,
      backend: 'reference',
      vocabSize: this.vocabSize,
      architecture: weights.config.modelType,
    };
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    return referenceForward(this.weights, Array.from(tokens));
  }

  createSession(): DecodeSession {
    const model = this;
    const make = (context: number[]): DecodeSession => {
      let disposed = false;
      model.liveSessions++;
      return {
        vocabSize: model.vocabSize,
        get length() {
          return context.length;
        },
        get disposed() {
          return disposed;
        },
        async append(tokens) {
          if (disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
          checkTokens(tokens, model.vocabSize);
          context.push(...Array.from(tokens));
          const all = referenceForward(model.weights, context);
          return all.slice(all.length - model.vocabSize);
        },
        fork() {
          if (disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
          return make([...context]);
        },
        dispose() {
          if (!disposed) model.liveSessions--;
          disposed = true;
        },
      };
    };
    return make([]);
  }
}

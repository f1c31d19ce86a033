import type { LinearName, LlamaConfig } from '@svdecode/hf-io';

/** llama.cpp's tensor name for each linear projection of a decoder layer. */
export const GGUF_LINEAR: Record<LinearName, string> = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_output',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
};

const CHECKPOINT_LINEAR: Record<LinearName, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};

/** One tensor of the model: its checkpoint name and shape, and its GGUF name. */
export interface TensorPlan {
  checkpoint: string;
  gguf: string;
  shape: readonly number[];
  /** Linear projections are written in the chosen dtype; norms stay F32 (as llama.cpp's converter does). */
  matrix: boolean;
  /** Rows to reorder for llama.cpp's rotary layout: the head count of q or k. */
  permuteHeads?: number;
}

/** The tensors of a Llama-family checkpoint, in the order they are written. */
export function llamaTensors(config: LlamaConfig): TensorPlan[] {
  const { hiddenSize: d, intermediateSize: ff, vocabSize: V, numHeads, numKvHeads, headDim } = config;
  const out: Record<LinearName, number> = {
    q: numHeads * headDim,
    k: numKvHeads * headDim,
    v: numKvHeads * headDim,
    o: d,
    gate: ff,
    up: ff,
    down: d,
  };
  const inDim: Record<LinearName, number> = {
    q: d,
    k: d,
    v: d,
    o: numHeads * headDim,
    gate: d,
    up: d,
    down: ff,
  };
  const plans: TensorPlan[] = [
    { checkpoint: 'model.embed_tokens.weight', gguf: 'token_embd.weight', shape: [V, d], matrix: true },
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const layer = `model.layers.${l}`;
    plans.push({
      checkpoint: `${layer}.input_layernorm.weight`,
      gguf: `blk.${l}.attn_norm.weight`,
      shape: [d],
      matrix: false,
    });
    for (const proj of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
      if (proj === 'gate')
        plans.push({
          checkpoint: `${layer}.post_attention_layernorm.weight`,
          gguf: `blk.${l}.ffn_norm.weight`,
          shape: [d],
          matrix: false,
        });
      plans.push({
        checkpoint: `${layer}.${CHECKPOINT_LINEAR[proj]}.weight`,
        gguf: `blk.${l}.${GGUF_LINEAR[proj]}.weight`,
        shape: [out[proj], inDim[proj]],
        matrix: true,
        ...(proj === 'q' ? { permuteHeads: numHeads } : proj === 'k' ? { permuteHeads: numKvHeads } : {}),
      });
    }
  }
  plans.push({ checkpoint: 'model.norm.weight', gguf: 'output_norm.weight', shape: [d], matrix: false });
  if (!config.tieWordEmbeddings)
    plans.push({ checkpoint: 'lm_head.weight', gguf: 'output.weight', shape: [V, d], matrix: true });
  return plans;
}

/**
 * Reorders the rows of a q or k projection (or of a LoRA B for one) from the Hugging Face layout,
 * whose rotary embedding rotates the two halves of each head, to the one llama.cpp's `llama`
 * architecture rotates, adjacent pairs: within each head, row `i * 2 + j` of the output comes from
 * row `j * half + i` of the input. Returns a new array.
 */
export function permuteForRope(rows: Float32Array, shape: readonly number[], heads: number): Float32Array {
  const [n, cols] = [shape[0]!, shape[1] ?? 1];
  const headRows = n / heads;
  const half = headRows / 2;
  const out = new Float32Array(rows.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const from = (h * headRows + j * half + i) * cols;
        const to = (h * headRows + i * 2 + j) * cols;
        out.set(rows.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

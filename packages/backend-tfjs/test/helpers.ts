import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TensorInput, writeSafetensors } from '@svdecode/hf-io';
import { tempDir } from '@svdecode/testkit';

process.env.SVDECODE_QUIET = '1';

export interface TinyConfig {
  modelType?: 'llama' | 'qwen2';
  vocab?: number;
  hidden?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  intermediate?: number;
  tied?: boolean;
  seed?: number;
  ropeScaling?: Record<string, unknown>;
}

function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Writes a random-init Llama-family model directory (config.json + model.safetensors) and returns its path. */
export async function writeTinyModel(options: TinyConfig = {}): Promise<string> {
  const c = {
    modelType: 'llama' as const,
    vocab: 64,
    hidden: 32,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 48,
    tied: false,
    seed: 1,
    ...options,
  };
  const headDim = c.headDim ?? c.hidden / c.heads;
  const rand = gaussian(c.seed);
  const tensor = (shape: number[], scale: number, offset = 0): TensorInput => ({
    dtype: 'F32',
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + scale * rand()),
  });
  const tensors: Record<string, TensorInput> = {
    'model.embed_tokens.weight': tensor([c.vocab, c.hidden], 1),
  };
  const q = c.heads * headDim;
  const kv = c.kvHeads * headDim;
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    tensors[`${p}input_layernorm.weight`] = tensor([c.hidden], 0.2, 1);
    tensors[`${p}post_attention_layernorm.weight`] = tensor([c.hidden], 0.2, 1);
    tensors[`${p}self_attn.q_proj.weight`] = tensor([q, c.hidden], 0.3);
    tensors[`${p}self_attn.k_proj.weight`] = tensor([kv, c.hidden], 0.3);
    tensors[`${p}self_attn.v_proj.weight`] = tensor([kv, c.hidden], 0.3);
    tensors[`${p}self_attn.o_proj.weight`] = tensor([c.hidden, q], 0.3);
    tensors[`${p}mlp.gate_proj.weight`] = tensor([c.intermediate, c.hidden], 0.3);
    tensors[`${p}mlp.up_proj.weight`] = tensor([c.intermediate, c.hidden], 0.3);
    tensors[`${p}mlp.down_proj.weight`] = tensor([c.hidden, c.intermediate], 0.3);
    if (c.modelType === 'qwen2') {
      tensors[`${p}self_attn.q_proj.bias`] = tensor([q], 0.2);
      tensors[`${p}self_attn.k_proj.bias`] = tensor([kv], 0.2);
      tensors[`${p}self_attn.v_proj.bias`] = tensor([kv], 0.2);
    }
  }
  tensors['model.norm.weight'] = tensor([c.hidden], 0.2, 1);
  if (!c.tied) tensors['lm_head.weight'] = tensor([c.vocab, c.hidden], 0.5);
  const dir = await tempDir('svdecode-tiny-');
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const config = {
    architectures: [c.modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: c.modelType,
    vocab_size: c.vocab,
    hidden_size: c.hidden,
    intermediate_size: c.intermediate,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    head_dim: headDim,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: c.ropeScaling ?? null,
    max_position_embeddings: 256,
    tie_word_embeddings: c.tied,
    bos_token_id: 1,
    eos_token_id: 2,
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

export { maxAbsDiff } from '@svdecode/core/test';

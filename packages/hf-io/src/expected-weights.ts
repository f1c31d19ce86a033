import type { LlamaConfig } from './config.js';

/** Every tensor a config needs, with its expected shape (checkpoint names). */
export function expectedWeights(c: LlamaConfig): Array<[string, number[]]> {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const out: Array<[string, number[]]> = [['model.embed_tokens.weight', [c.vocabSize, d]]];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      [`${p}input_layernorm.weight`, [d]],
      [`${p}post_attention_layernorm.weight`, [d]],
      [`${p}self_attn.q_proj.weight`, [q, d]],
      [`${p}self_attn.k_proj.weight`, [kv, d]],
      [`${p}self_attn.v_proj.weight`, [kv, d]],
      [`${p}self_attn.o_proj.weight`, [d, q]],
      [`${p}mlp.gate_proj.weight`, [c.intermediateSize, d]],
      [`${p}mlp.up_proj.weight`, [c.intermediateSize, d]],
      [`${p}mlp.down_proj.weight`, [d, c.intermediateSize]],
    );
    if (c.attentionBias)
      out.push(
        [`${p}self_attn.q_proj.bias`, [q]],
        [`${p}self_attn.k_proj.bias`, [kv]],
        [`${p}self_attn.v_proj.bias`, [kv]],
      );
    if (c.outputBias) out.push([`${p}self_attn.o_proj.bias`, [d]]);
    if (c.mlpBias)
      out.push(
        [`${p}mlp.gate_proj.bias`, [c.intermediateSize]],
        [`${p}mlp.up_proj.bias`, [c.intermediateSize]],
        [`${p}mlp.down_proj.bias`, [d]],
      );
  }
  out.push(['model.norm.weight', [d]]);
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [c.vocabSize, d]]);
  return out;
}

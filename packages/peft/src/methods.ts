import { SvdecodeError } from '@svdecode/core';
import { IA3_DEFAULTS, LORA_DEFAULTS } from './configs.js';

/** The four methods the paper pairs with SVDecode, by the names the CLI uses. */
export const METHODS = ['lora', 'ia3', 'prompt-tuning', 'p-tuning-v2'] as const;
export type Method = (typeof METHODS)[number];

/** What the default configs need to know of a model (a loaded model's `config` has it). */
export interface ModelShape {
  config: { hiddenSize: number; numKvHeads: number; headDim: number; numLayers: number };
}

/** A fresh adapter config for a method with the paper's defaults (docs/method.md#peft-defaults). */
export function defaultAdapterConfig(
  method: Method,
  model: ModelShape,
): Record<string, unknown> & { peft_type: string } {
  const c = model.config;
  switch (method) {
    case 'lora':
      return { peft_type: 'LORA', task_type: 'CAUSAL_LM', ...LORA_DEFAULTS };
    case 'ia3':
      return { peft_type: 'IA3', task_type: 'CAUSAL_LM', ...IA3_DEFAULTS };
    case 'prompt-tuning':
      return {
        peft_type: 'PROMPT_TUNING',
        task_type: 'CAUSAL_LM',
        num_virtual_tokens: 20,
        token_dim: c.hiddenSize,
        prompt_tuning_init: 'RANDOM',
      };
    case 'p-tuning-v2':
      return {
        peft_type: 'PREFIX_TUNING',
        task_type: 'CAUSAL_LM',
        num_virtual_tokens: 20,
        token_dim: c.numKvHeads * c.headDim,
        num_layers: c.numLayers,
        num_attention_heads: c.numKvHeads,
        prefix_projection: true,
        encoder_hidden_size: 128,
      };
    default:
      throw new SvdecodeError('BAD_ARGUMENT', `unknown method "${method}" (use ${METHODS.join(', ')})`);
  }
}

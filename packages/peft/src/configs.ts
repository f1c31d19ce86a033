import { SvdecodeError } from '@svdecode/core';
import { reader } from './config-reader.js';

// The PEFT configs of the built-in methods: their fields, the paper's defaults, and parsers of
// adapter_config.json that fill defaults and name a bad field. No tensors: every runtime shares them.

export interface LoraConfig extends Record<string, unknown> {
  peft_type: 'LORA';
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[] | string;
  use_rslora: boolean;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  bias: 'none';
  fan_in_fan_out: false;
  task_type: string;
}

/** Paper defaults (docs/method.md#peft-defaults): r 8, alpha 16, dropout 0.1, attention projections. */
export const LORA_DEFAULTS = {
  r: 8,
  lora_alpha: 16,
  lora_dropout: 0.1,
  target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
};

export function parseLoraConfig(json: Record<string, unknown>, source: string): LoraConfig {
  const r = reader(json, source);
  if (json.use_dora === true)
    throw new SvdecodeError('CONFIG_INVALID', `${source}: DoRA (use_dora) is not supported`, {
      details: { field: 'use_dora' },
    });
  if (json.fan_in_fan_out === true) {
    throw new SvdecodeError(
      'CONFIG_INVALID',
      `${source}: fan_in_fan_out adapters (GPT-2 Conv1D layers) do not fit Llama-family models`,
      {
        details: { field: 'fan_in_fan_out' },
      },
    );
  }
  const bias = r.str('bias', 'none', ['none', 'all', 'lora_only']);
  if (bias !== 'none')
    throw new SvdecodeError(
      'CONFIG_INVALID',
      `${source}: LoRA bias "${bias}" is not supported (only "none")`,
      { details: { field: 'bias' } },
    );
  return {
    peft_type: 'LORA',
    r: r.int('r', LORA_DEFAULTS.r),
    lora_alpha: r.num('lora_alpha', LORA_DEFAULTS.lora_alpha, (v) => v > 0),
    lora_dropout: r.num('lora_dropout', LORA_DEFAULTS.lora_dropout, (v) => v >= 0 && v < 1),
    target_modules: r.targets('target_modules', LORA_DEFAULTS.target_modules),
    use_rslora: r.bool('use_rslora', false),
    rank_pattern: r.record('rank_pattern'),
    alpha_pattern: r.record('alpha_pattern'),
    bias: 'none',
    fan_in_fan_out: false,
    task_type: r.str('task_type', 'CAUSAL_LM'),
  };
}

export interface Ia3Config extends Record<string, unknown> {
  peft_type: 'IA3';
  target_modules: string[] | string;
  feedforward_modules: string[] | string;
  task_type: string;
}

/** Paper defaults (docs/method.md#peft-defaults). */
export const IA3_DEFAULTS = {
  target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'],
  feedforward_modules: ['up_proj', 'down_proj'],
};

export function parseIa3Config(json: Record<string, unknown>, source: string): Ia3Config {
  const r = reader(json, source);
  const target = r.targets('target_modules', IA3_DEFAULTS.target_modules);
  return {
    peft_type: 'IA3',
    target_modules: target,
    feedforward_modules: r.targets('feedforward_modules', IA3_DEFAULTS.feedforward_modules),
    task_type: r.str('task_type', 'CAUSAL_LM'),
  };
}

export interface PromptTuningConfig extends Record<string, unknown> {
  peft_type: 'PROMPT_TUNING' | 'P_TUNING';
  num_virtual_tokens: number;
  token_dim: number;
  num_transformer_submodules: 1;
  prompt_tuning_init: 'RANDOM' | 'TEXT' | 'SAMPLE_VOCAB';
  prompt_tuning_init_text: string | null;
  task_type: string;
}

/** The parser of PROMPT_TUNING or P_TUNING configs. */
export function parsePromptTuningConfig(peftType: 'PROMPT_TUNING' | 'P_TUNING') {
  return (json: Record<string, unknown>, source: string): PromptTuningConfig => {
    const r = reader(json, source);
    const submodules = r.int('num_transformer_submodules', 1);
    if (submodules !== 1) {
      throw new SvdecodeError(
        'CONFIG_INVALID',
        `${source}: num_transformer_submodules must be 1 for decoder-only models`,
        {
          details: { field: 'num_transformer_submodules' },
        },
      );
    }
    const text = json.prompt_tuning_init_text;
    return {
      peft_type: peftType,
      num_virtual_tokens: r.int('num_virtual_tokens', 20),
      token_dim: r.int('token_dim', 0, 0),
      num_transformer_submodules: 1,
      prompt_tuning_init: r.str('prompt_tuning_init', 'RANDOM', ['RANDOM', 'TEXT', 'SAMPLE_VOCAB']),
      prompt_tuning_init_text: typeof text === 'string' ? text : null,
      task_type: r.str('task_type', 'CAUSAL_LM'),
    };
  };
}

export interface PrefixTuningConfig extends Record<string, unknown> {
  peft_type: 'PREFIX_TUNING';
  num_virtual_tokens: number;
  /** Per-layer key/value width: kv heads x head dim. */
  token_dim: number;
  num_layers: number;
  num_attention_heads: number;
  num_transformer_submodules: 1;
  prefix_projection: boolean;
  encoder_hidden_size: number;
  task_type: string;
}

export function parsePrefixTuningConfig(json: Record<string, unknown>, source: string): PrefixTuningConfig {
  const r = reader(json, source);
  return {
    peft_type: 'PREFIX_TUNING',
    num_virtual_tokens: r.int('num_virtual_tokens', 20),
    token_dim: r.int('token_dim', 0, 0),
    num_layers: r.int('num_layers', 0, 0),
    num_attention_heads: r.int('num_attention_heads', 0, 0),
    num_transformer_submodules: 1,
    prefix_projection: r.bool('prefix_projection', false),
    encoder_hidden_size: r.int('encoder_hidden_size', 128),
    task_type: r.str('task_type', 'CAUSAL_LM'),
  };
}

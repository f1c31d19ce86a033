import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import type { Tokenizer } from '@svdecode/core';
import { readAdapterConfig, readAdapterDirectory, writeAdapterDirectory } from '@svdecode/peft';
import { AdaptedModel } from './adapted-model.js';
import type { Adapter } from './adapter.js';
import { getAdapterType } from './registry.js';

/** Creates a fresh adapter of a registered type (LoRA B = 0 and IA3 = 1: the base model exactly). */
export function createAdapter(
  model: TfjsCausalLM,
  config: Record<string, unknown> & { peft_type: string },
  options: { seed?: number; tokenizer?: Tokenizer } = {},
): Adapter {
  const type = getAdapterType(config.peft_type);
  const parsed = type.parseConfig(config, `${config.peft_type} config`);
  return type.create(parsed, { model, seed: options.seed ?? 0, tokenizer: options.tokenizer });
}

/**
 * Loads a PEFT adapter directory (adapter_config.json + adapter_model.safetensors) onto a model.
 * Unknown config keys are ignored and missing ones defaulted (only peft_type is required); an
 * adapter made for another architecture or size is refused, naming the offending tensor.
 */
export async function loadAdapter(
  model: TfjsCausalLM,
  dir: string,
  options: { tokenizer?: Tokenizer } = {},
): Promise<AdaptedModel> {
  // the config first: an unknown type or a bad field is the error to report, whatever else is missing
  const { config: json, configPath } = await readAdapterConfig(dir);
  const type = getAdapterType(json.peft_type);
  const config = type.parseConfig(json, configPath);
  // a saved prefix is the MLP's output: load it directly, without the training-time MLP
  if (config.peft_type === 'PREFIX_TUNING') config.prefix_projection = false;
  const { weightsPath, tensors } = await readAdapterDirectory(dir);
  const adapter = type.create(config, { model, seed: 0, tokenizer: options.tokenizer });
  try {
    adapter.loadStateDict(tensors, weightsPath);
  } catch (error) {
    adapter.dispose();
    throw error;
  }
  return new AdaptedModel(model, adapter);
}

/** Saves an adapter in PEFT's layout (`writeAdapterDirectory`), staged and replaced whole. */
export async function saveAdapter(
  adapter: Adapter,
  dir: string,
  extra: { baseModel?: string } = {},
): Promise<void> {
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, t] of adapter.stateDict()) {
    tensors.set(name, { shape: t.shape, values: (await t.data()) as Float32Array });
    t.dispose();
  }
  await writeAdapterDirectory(dir, adapter.config, tensors, extra);
}

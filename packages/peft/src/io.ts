import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import {
  fileExists,
  readJsonFile,
  readSafetensors,
  stageDirectory,
  toFloat32,
  writeSafetensors,
} from '@svdecode/hf-io';
import { AdaptedModel } from './adapted-model.js';
import type { Adapter } from './adapter.js';
import { getAdapterType } from './registry.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

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
  const root = resolve(dir);
  const configPath = join(root, ADAPTER_CONFIG);
  if (!(await fileExists(configPath))) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${root}: no ${ADAPTER_CONFIG} (is this a PEFT adapter directory?)`,
      { details: { dir: root } },
    );
  }
  const json = (await readJsonFile(configPath)) as Record<string, unknown>;
  if (typeof json?.peft_type !== 'string') {
    throw new SvdecodeError('CONFIG_INVALID', `${configPath}: field "peft_type" is required`, {
      details: { file: configPath, field: 'peft_type' },
    });
  }
  const type = getAdapterType(json.peft_type);
  const config = type.parseConfig(json, configPath);
  // a saved prefix is the MLP's output: load it directly, without the training-time MLP
  if (config.peft_type === 'PREFIX_TUNING') config.prefix_projection = false;
  const weightsPath = join(root, ADAPTER_WEIGHTS);
  if (!(await fileExists(weightsPath))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${root}: no ${ADAPTER_WEIGHTS}`, { details: { dir: root } });
  }
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, t] of await readSafetensors(weightsPath)) {
    // PEFT keys may carry the adapter name ("lora_A.default.weight"); the saved form has none
    tensors.set(name.replace(/\.default\./, '.'), { shape: t.shape, values: toFloat32(t) });
  }
  const adapter = type.create(config, { model, seed: 0, tokenizer: options.tokenizer });
  try {
    adapter.loadStateDict(tensors, weightsPath);
  } catch (error) {
    adapter.dispose();
    throw error;
  }
  return new AdaptedModel(model, adapter);
}

/**
 * Saves an adapter as PEFT does (adapter_config.json + adapter_model.safetensors with
 * `{"format": "pt"}` metadata), into a temporary directory renamed into place: a crash never
 * leaves a half-written adapter, and an existing one is replaced whole.
 */
export async function saveAdapter(
  adapter: Adapter,
  dir: string,
  extra: { baseModel?: string } = {},
): Promise<void> {
  await stageDirectory(dir, async (temp) => {
    const state = adapter.stateDict();
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of state) {
      tensors[name] = { dtype: 'F32', shape: t.shape, data: (await t.data()) as Float32Array };
      t.dispose();
    }
    await writeSafetensors(join(temp, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
    const config = {
      ...adapter.config,
      base_model_name_or_path: extra.baseModel ?? null,
      inference_mode: true,
      library: 'svdecode',
    };
    await writeFile(join(temp, ADAPTER_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
  });
}

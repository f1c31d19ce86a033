import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import {
  fileExists,
  readJsonFile,
  readSafetensors,
  stageDirectory,
  toFloat32,
  writeSafetensors,
} from '@svdecode/hf-io';

// PEFT's adapter directory on disk, read and written without a tensor library.

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** A tensor of an adapter file: float32 values and shape. */
export interface AdapterTensor {
  shape: number[];
  values: Float32Array;
}

export interface AdapterDirectory {
  dir: string;
  configPath: string;
  weightsPath: string;
  /** adapter_config.json as written (its `peft_type` checked present). */
  config: Record<string, unknown> & { peft_type: string };
  /** By PEFT name without the adapter name (`...lora_A.weight`). */
  tensors: Map<string, AdapterTensor>;
}

/** Reads adapter_config.json alone (its `peft_type` checked present). */
export async function readAdapterConfig(
  dir: string,
): Promise<Pick<AdapterDirectory, 'dir' | 'configPath' | 'config'>> {
  const root = resolve(dir);
  const configPath = join(root, ADAPTER_CONFIG);
  if (!(await fileExists(configPath))) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${root}: no ${ADAPTER_CONFIG} (is this a PEFT adapter directory?)`,
      {
        details: { dir: root },
      },
    );
  }
  const config = (await readJsonFile(configPath)) as Record<string, unknown>;
  if (typeof config?.peft_type !== 'string') {
    throw new SvdecodeError('CONFIG_INVALID', `${configPath}: field "peft_type" is required`, {
      details: { file: configPath, field: 'peft_type' },
    });
  }
  return { dir: root, configPath, config: config as AdapterDirectory['config'] };
}

/** Reads adapter_config.json and adapter_model.safetensors (F16/BF16 converted to float32). */
export async function readAdapterDirectory(dir: string): Promise<AdapterDirectory> {
  const { dir: root, configPath, config } = await readAdapterConfig(dir);
  const weightsPath = join(root, ADAPTER_WEIGHTS);
  if (!(await fileExists(weightsPath))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${root}: no ${ADAPTER_WEIGHTS}`, { details: { dir: root } });
  }
  const tensors = new Map<string, AdapterTensor>();
  for (const [name, t] of await readSafetensors(weightsPath)) {
    // PEFT keys may carry the adapter name ("lora_A.default.weight"); the saved form has none
    tensors.set(name.replace(/\.default\./, '.'), { shape: t.shape, values: toFloat32(t) });
  }
  return { dir: root, configPath, weightsPath, config, tensors };
}

/**
 * Writes an adapter as PEFT does (adapter_config.json + adapter_model.safetensors with
 * `{"format": "pt"}` metadata), staged: a crash never leaves a half-written adapter, and an existing
 * one is replaced whole.
 */
export async function writeAdapterDirectory(
  dir: string,
  config: Record<string, unknown>,
  tensors: ReadonlyMap<string, AdapterTensor>,
  extra: { baseModel?: string } = {},
): Promise<void> {
  await stageDirectory(dir, async (temp) => {
    const out: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of tensors) out[name] = { dtype: 'F32', shape: t.shape, data: t.values };
    await writeSafetensors(join(temp, ADAPTER_WEIGHTS), out, { format: 'pt' });
    const written = {
      ...config,
      base_model_name_or_path: extra.baseModel ?? null,
      inference_mode: true,
      library: 'svdecode',
    };
    await writeFile(join(temp, ADAPTER_CONFIG), `${JSON.stringify(written, null, 2)}\n`);
  });
}

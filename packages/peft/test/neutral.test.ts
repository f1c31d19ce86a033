// The backend-free part of PEFT: configs, files and linear deltas read straight from adapter files,
// with no tensor library loaded (this package depends on core and hf-io only).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HF_DIR, tempDir } from '@svdecode/testkit';
import { describe, expect, it } from 'vitest';
import {
  defaultAdapterConfig,
  loadLinearAdapter,
  parseLoraConfig,
  readAdapterDirectory,
  writeAdapterDirectory,
} from '../src/index.js';

const ADAPTERS = join(HF_DIR, 'adapters');

describe('configs', () => {
  it('fill the paper defaults and name a bad field', () => {
    expect(parseLoraConfig({ peft_type: 'LORA' }, 'x')).toMatchObject({
      r: 8,
      lora_alpha: 16,
      lora_dropout: 0.1,
    });
    expect(() => parseLoraConfig({ peft_type: 'LORA', r: 0 }, 'x')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: expect.objectContaining({ field: 'r' }) }),
    );
    expect(() => parseLoraConfig({ peft_type: 'LORA', use_dora: true }, 'x')).toThrow(/DoRA/);
    const shape = { config: { hiddenSize: 64, numKvHeads: 2, headDim: 16, numLayers: 3 } };
    expect(defaultAdapterConfig('p-tuning-v2', shape)).toMatchObject({ token_dim: 32, num_layers: 3 });
  });
});

describe('adapter files', () => {
  it('read and write PEFT directories: a round trip keeps config and tensors', async () => {
    const read = await readAdapterDirectory(join(ADAPTERS, 'lora'));
    expect(read.config.peft_type).toBe('LORA');
    expect(read.tensors.size).toBeGreaterThan(0);
    const dir = join(await tempDir(), 'copy');
    await writeAdapterDirectory(dir, read.config, read.tensors, { baseModel: 'fixture' });
    const again = await readAdapterDirectory(dir);
    expect(again.config).toMatchObject({
      ...read.config,
      base_model_name_or_path: 'fixture',
      library: 'svdecode',
    });
    for (const [name, t] of read.tensors) {
      expect(again.tensors.get(name)?.shape).toEqual(t.shape);
      expect(again.tensors.get(name)?.values).toEqual(t.values);
    }
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  });
});

describe('loadLinearAdapter', () => {
  it('LoRA: low-rank deltas with PEFT scaling (rsLoRA and patterns included); IA3: scale vectors', async () => {
    const lora = await loadLinearAdapter(join(ADAPTERS, 'lora-rslora-patterns'));
    const deltas = await lora.linearDelta();
    expect(deltas.size).toBeGreaterThan(0);
    for (const [module, d] of deltas) {
      expect(module).toMatch(/^model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj$/);
      if (d.kind !== 'low-rank') throw new Error('LoRA deltas are low-rank');
      expect(d.a.length % d.rank).toBe(0);
      expect(d.scaling).toBeGreaterThan(0);
    }
    const ia3 = await (await loadLinearAdapter(join(ADAPTERS, 'ia3'))).linearDelta();
    expect([...ia3.values()].every((d) => d.kind === 'scale')).toBe(true);
    expect([...ia3.values()].some((d) => d.kind === 'scale' && d.axis === 'in')).toBe(true);
  });

  it('prompt methods have no linear delta: BAD_ARGUMENT with a hint', async () => {
    await expect(loadLinearAdapter(join(ADAPTERS, 'prompt-tuning'))).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    await expect(loadLinearAdapter(join(await tempDir(), 'none'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
  });
});

import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { describe, expect, it } from 'vitest';
import {
  HfTokenizer,
  loadModelDirectory,
  loadTokenizer,
  ModelWeights,
  parseSafetensors,
} from '../src/index.js';
import { HF_FIXTURES, tempDir } from './helpers.js';

async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) await copyFile(join(from, name), join(to, name));
}

describe('loadModelDirectory', () => {
  it('loads a single-file Llama checkpoint saved by transformers', async () => {
    const model = await loadModelDirectory(join(HF_FIXTURES, 'llama-gqa'));
    try {
      expect(model.config.modelType).toBe('llama');
      expect(model.generationConfig?.eosTokenIds).toEqual([2]);
      expect(model.tokenizer).toBeUndefined();
      expect(model.weights.names()).toContain('model.layers.1.self_attn.k_proj.weight');
      expect(model.weights.info('model.layers.0.self_attn.k_proj.weight').shape).toEqual([16, 32]);
      const q = await model.weights.readFloat32('model.layers.0.self_attn.q_proj.weight', [32, 32]);
      expect(q.length).toBe(1024);
    } finally {
      await model.close();
    }
  });

  it('loads sharded weights through model.safetensors.index.json', async () => {
    const model = await loadModelDirectory(join(HF_FIXTURES, 'qwen2-tied-sharded'));
    try {
      const index = JSON.parse(
        await readFile(join(HF_FIXTURES, 'qwen2-tied-sharded', 'model.safetensors.index.json'), 'utf8'),
      );
      expect(model.weights.names().sort()).toEqual(Object.keys(index.weight_map).sort());
      expect(model.weights.has('lm_head.weight')).toBe(false);
      const bias = await model.weights.readFloat32('model.layers.1.self_attn.q_proj.bias', [32]);
      expect(bias.some((v) => v !== 0)).toBe(true);
    } finally {
      await model.close();
    }
  });

  it('converts BF16 checkpoints to float32', async () => {
    const model = await loadModelDirectory(join(HF_FIXTURES, 'llama-bf16-head-dim'));
    const w = await model.weights.readFloat32('model.layers.0.self_attn.q_proj.weight', [64, 32]);
    // every BF16 value has zero low mantissa bits as float32
    const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
    expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
    expect(w.some((v) => v !== 0)).toBe(true);
    await model.close();
  });

  it('names a missing weight and both shapes of a wrong one', async () => {
    const model = await loadModelDirectory(join(HF_FIXTURES, 'llama-gqa'));
    try {
      await expect(model.weights.readFloat32('lm_head.bias')).rejects.toMatchObject({
        code: 'MISSING_WEIGHT',
        details: { tensor: 'lm_head.bias' },
      });
      const error = (await model.weights
        .readFloat32('model.norm.weight', [64])
        .catch((e: unknown) => e)) as SvdecodeError;
      expect(error.code).toBe('WEIGHT_SHAPE_MISMATCH');
      expect(error.message).toContain('model.norm.weight');
      expect(error.message).toContain('[32]');
      expect(error.message).toContain('[64]');
    } finally {
      await model.close();
    }
  });

  it('loads tokenizer.json alongside and refuses a tokenizer larger than the model vocabulary', async () => {
    const dir = await tempDir();
    await copyDir(join(HF_FIXTURES, 'qwen2-tied-sharded'), dir);
    await copyDir(join(HF_FIXTURES, 'tokenizer'), dir);
    // the fixture tokenizer has 350 tokens, the model 96
    await expect(loadModelDirectory(dir)).rejects.toMatchObject({ code: 'VOCAB_MISMATCH' });
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, vocab_size: 350 }));
    const model = await loadModelDirectory(dir);
    expect(model.tokenizer?.vocabSize).toBe(350);
    expect(model.config.vocabSize).toBe(350);
    await model.close();
  });

  it('explains what is missing from a directory', async () => {
    const dir = await tempDir();
    await expect(loadModelDirectory(dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await copyFile(join(HF_FIXTURES, 'llama-gqa', 'config.json'), join(dir, 'config.json'));
    const error = (await loadModelDirectory(dir).catch((e: unknown) => e)) as SvdecodeError;
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.message).toContain('model.safetensors');
    await writeFile(join(dir, 'config.json'), '{"model_type": "llama",');
    await expect(loadModelDirectory(dir)).rejects.toMatchObject({ code: 'BAD_JSON' });
  });

  it('refuses a shard index that points at a shard lacking the tensor', async () => {
    const dir = await tempDir();
    await copyDir(join(HF_FIXTURES, 'qwen2-tied-sharded'), dir);
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8'));
    index.weight_map['model.norm.weight'] = 'model-00001-of-00004.safetensors';
    await writeFile(indexPath, JSON.stringify(index));
    await expect(ModelWeights.open(dir)).rejects.toMatchObject({
      code: 'MISSING_WEIGHT',
      details: { tensor: 'model.norm.weight' },
    });
    index.weight_map['model.norm.weight'] = '../elsewhere.safetensors';
    await writeFile(indexPath, JSON.stringify(index));
    await expect(ModelWeights.open(dir)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('tokenizer.json', () => {
  it('encodes and decodes exactly as Hugging Face tokenizers (Python) did', async () => {
    const dir = join(HF_FIXTURES, 'tokenizer');
    const tokenizer = await loadTokenizer(dir);
    const expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Array<{
      text: string;
      ids: number[];
      decoded: string;
    }>;
    for (const row of expected) {
      expect(tokenizer.encode(row.text)).toEqual(row.ids);
      expect(tokenizer.decode(row.ids)).toBe(row.decoded);
    }
    expect(tokenizer.bosTokenId).toBe(1);
    expect(tokenizer.eosTokenIds).toEqual([2]);
    expect(tokenizer.padTokenId).toBe(0);
    expect(tokenizer.idToToken(2)).toBe('</s>');
    expect(tokenizer.tokenToId('<s>')).toBe(1);
  });

  it('reports a broken tokenizer.json with TOKENIZER_INVALID', () => {
    expect(() => new HfTokenizer({ model: { type: 'Nonsense' } }, {})).toThrow(SvdecodeError);
  });

  it('the expected logits fixture decodes to the documented shapes', async () => {
    const bytes = new Uint8Array(
      await readFile(join(HF_FIXTURES, 'adapters', 'prompt-tuning', 'expected.safetensors')),
    );
    const file = parseSafetensors(bytes);
    // prompt tuning prepends 5 virtual tokens: logits cover them too
    expect(file.info('logits').shape).toEqual([2, 14, 96]);
  });
});

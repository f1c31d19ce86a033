import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SafetensorsFile } from '@svdecode/hf-io';
import { HF_DIR } from '@svdecode/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptedModel, createAdapter, defaultAdapterConfig, loadAdapter, saveAdapter } from '../src/index.js';
import { ADAPTERS, BASE_DIR, expected, maxAbsDiff, tempDir } from './helpers.js';

let model: TfjsCausalLM;
beforeAll(async () => {
  model = await loadTfjsModel(BASE_DIR);
});
afterAll(() => model.dispose());

const FIXTURES = [
  'lora',
  'lora-rslora-patterns',
  'ia3',
  'prompt-tuning',
  'p-tuning',
  'prefix-tuning',
  'prefix-tuning-projection',
];

describe('adapters saved by the Python peft library', () => {
  it.each(FIXTURES)('%s reproduces the logits peft computed', async (name) => {
    const dir = join(ADAPTERS, name);
    const adapted = await loadAdapter(model, dir);
    const { ids, logits } = await expected(dir);
    expect(maxAbsDiff(await adapted.score(ids), logits)).toBeLessThan(1e-4);
    adapted.dispose();
  });

  it.each(FIXTURES.filter((n) => n !== 'p-tuning' && n !== 'prefix-tuning-projection'))(
    '%s saves back with the same PEFT tensor names and shapes, and reloads to the same logits',
    async (name) => {
      const dir = join(ADAPTERS, name);
      const adapted = await loadAdapter(model, dir);
      const out = join(await tempDir(), name);
      await saveAdapter(adapted.adapter, out);
      expect((await readdir(out)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
      const theirs = await SafetensorsFile.open(join(dir, 'adapter_model.safetensors'));
      const ours = await SafetensorsFile.open(join(out, 'adapter_model.safetensors'));
      expect(ours.names().sort()).toEqual(theirs.names().sort());
      for (const n of theirs.names()) expect(ours.info(n).shape).toEqual(theirs.info(n).shape);
      expect(ours.metadata).toEqual({ format: 'pt' });
      await Promise.all([theirs.close(), ours.close()]);
      const config = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'));
      expect(config.peft_type).toBe(
        JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8')).peft_type,
      );
      const reloaded = await loadAdapter(model, out);
      const ids = [1, 4, 9, 16, 25, 36];
      expect(maxAbsDiff(await reloaded.score(ids), await adapted.score(ids))).toBe(0);
      reloaded.dispose();
      adapted.dispose();
    },
  );

  it('ignores unknown config keys and fills missing ones', async () => {
    const dir = await tempDir();
    await copyFile(
      join(ADAPTERS, 'lora', 'adapter_model.safetensors'),
      join(dir, 'adapter_model.safetensors'),
    );
    await writeFile(
      join(dir, 'adapter_config.json'),
      JSON.stringify({
        peft_type: 'LORA',
        r: 4,
        lora_alpha: 8,
        target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
        shiny_new_option: [1, 2],
      }),
    );
    const adapted = await loadAdapter(model, dir);
    const { ids, logits } = await expected(join(ADAPTERS, 'lora'));
    expect(maxAbsDiff(await adapted.score(ids), logits)).toBeLessThan(1e-4);
    adapted.dispose();
  });

  it('refuses an adapter made for another model, naming the tensor', async () => {
    const other = await loadTfjsModel(join(HF_DIR, 'llama-bf16-head-dim'));
    await expect(loadAdapter(other, join(ADAPTERS, 'lora'))).rejects.toMatchObject({
      code: 'WEIGHT_SHAPE_MISMATCH',
      message: expect.stringContaining('model.layers.0.self_attn.q_proj.lora_B.weight'),
    });
    other.dispose();
    const qwen = await loadTfjsModel(join(HF_DIR, 'qwen2-tied-sharded'));
    await expect(loadAdapter(qwen, join(ADAPTERS, 'ia3'))).rejects.toMatchObject({
      code: 'WEIGHT_SHAPE_MISMATCH',
      message: expect.stringContaining('mlp.down_proj.ia3_l'),
    });
    await expect(loadAdapter(qwen, join(ADAPTERS, 'prefix-tuning'))).resolves.toBeInstanceOf(AdaptedModel); // same kv width and layers
    qwen.dispose();
  });

  it('reports missing files, missing peft_type and unknown types', async () => {
    const dir = await tempDir();
    await expect(loadAdapter(model, dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ r: 8 }));
    await expect(loadAdapter(model, dir)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'VERA' }));
    await expect(loadAdapter(model, dir)).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: expect.stringContaining('VERA'),
    });
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 0 }));
    await expect(loadAdapter(model, dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: { field: 'r' },
    });
  });
});

describe('fresh adapters', () => {
  it('a fresh LoRA (B = 0) and a fresh IA3 (ones) give exactly the base logits; prompt methods change them', async () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const plain = await model.score(ids);
    for (const method of ['lora', 'ia3', 'prompt-tuning', 'p-tuning-v2'] as const) {
      const adapted = new AdaptedModel(
        model,
        createAdapter(model, defaultAdapterConfig(method, model), { seed: 1 }),
      );
      const diff = maxAbsDiff(await adapted.score(ids), plain);
      if (method === 'lora' || method === 'ia3') expect(diff).toBe(0);
      else expect(diff).toBeGreaterThan(1e-3);
      adapted.dispose();
    }
  });

  it('saves atomically: no temporary directory is left, an existing adapter is replaced whole', async () => {
    const root = await tempDir();
    const target = join(root, 'adapter');
    await mkdir(target);
    await writeFile(join(target, 'stale.txt'), 'old');
    const adapter = createAdapter(model, defaultAdapterConfig('lora', model));
    await saveAdapter(adapter, target);
    expect(await readdir(root)).toEqual(['adapter']);
    expect((await readdir(target)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    adapter.dispose();
  });
});

describe('prompt tuning initialisations', () => {
  it('TEXT copies the embeddings of the text (repeated to fill), SAMPLE_VOCAB of vocabulary rows', async () => {
    const tokenizer = {
      vocabSize: 96,
      bosTokenId: undefined,
      eosTokenIds: [],
      padTokenId: undefined,
      encode: (text: string) => Array.from(text, (c) => c.charCodeAt(0) - 90),
      decode: () => '',
      tokenToId: () => undefined,
      idToToken: () => undefined,
    };
    const base = { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 5, token_dim: 32 };
    const text = createAdapter(
      model,
      { ...base, prompt_tuning_init: 'TEXT', prompt_tuning_init_text: 'abc' },
      { tokenizer },
    );
    const prompt = await text.variables[0]!.data();
    const embed = await model.weights.embed.data();
    const ids = [7, 8, 9, 7, 8]; // 'abc' -> 7 8 9, repeated
    ids.forEach((id, i) => {
      expect(Array.from(prompt.slice(i * 32, (i + 1) * 32))).toEqual(
        Array.from(embed.slice(id * 32, (id + 1) * 32)),
      );
    });
    const sample = createAdapter(model, { ...base, prompt_tuning_init: 'SAMPLE_VOCAB' }, { seed: 4 });
    const rows = await sample.variables[0]!.data();
    for (let i = 0; i < 5; i++) {
      const row = Array.from(rows.slice(i * 32, (i + 1) * 32));
      const match = Array.from({ length: 96 }, (_, id) => id).some((id) =>
        row.every((v, j) => v === embed[id * 32 + j]),
      );
      expect(match).toBe(true);
    }
    expect(() => createAdapter(model, { ...base, prompt_tuning_init: 'TEXT' })).toThrow(
      /prompt_tuning_init_text/,
    );
    text.dispose();
    sample.dispose();
  });
});

describe('parseLinearModule', () => {
  it('reads layer and projection from a Hugging Face module path, and nothing else', async () => {
    const { parseLinearModule } = await import('../src/index.js');
    expect(parseLinearModule('model.layers.12.self_attn.q_proj')).toEqual({ layer: 12, proj: 'q' });
    expect(parseLinearModule('model.layers.0.mlp.down_proj')).toEqual({ layer: 0, proj: 'down' });
    expect(parseLinearModule('model.layers.0.mlp.weird_proj')).toBeUndefined();
    expect(parseLinearModule('lm_head')).toBeUndefined();
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { isPaired } from '@svdecode/core';
import { describeCausalLMConformance, describePairedCausalLMConformance } from '@svdecode/core/test';
import { DataType, GraphBuilder } from '@svdecode/onnx-export';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { HF_DIR } from '@svdecode/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/index.js';
import { exportModel, maxAbsDiff, tempDir } from './helpers.js';

const TOKENS = [1, 17, 42, 5, 88, 3, 60, 61, 62, 9];

async function compareCached(
  tfjs: { score(t: number[]): Promise<Float32Array> },
  session: { append(t: number[]): Promise<Float32Array> },
  V: number,
) {
  let worst = 0;
  const full = await tfjs.score(TOKENS);
  const first = await session.append(TOKENS.slice(0, 4));
  worst = Math.max(worst, maxAbsDiff(first, full.subarray(3 * V, 4 * V)));
  for (let t = 4; t < TOKENS.length; t++) {
    const step = await session.append([TOKENS[t]!]);
    worst = Math.max(worst, maxAbsDiff(step, full.subarray(t * V, (t + 1) * V)));
  }
  return worst;
}

describe.each(['llama-gqa', 'qwen2-tied-sharded', 'llama3-rope-scaling'])('exported %s', (name) => {
  let tfjs: TfjsCausalLM;
  let dir: string;
  beforeAll(async () => {
    tfjs = await loadTfjsModel(join(HF_DIR, name));
    dir = join(await tempDir(), name);
    await exportModel(tfjs, dir);
  });
  afterAll(() => tfjs.dispose());

  it('gives the tfjs model logits without the KV cache (<= 1e-4)', async () => {
    const onnx = await loadOnnxModel(dir);
    expect(maxAbsDiff(await onnx.score(TOKENS), await tfjs.score(TOKENS))).toBeLessThanOrEqual(1e-4);
  });

  it('is what the registered onnx backend says it can load (auto selection)', async () => {
    await import('../src/register.js');
    const { chooseModelBackend } = await import('@svdecode/core');
    expect((await chooseModelBackend(dir)).name).toBe('onnx');
    const onnx = await (await import('@svdecode/core')).modelBackends.get('onnx');
    expect(await onnx.canLoad!(join(HF_DIR, name))).toBe(false);
  });

  it('and with the KV cache, step by step (<= 1e-4)', async () => {
    const onnx = await loadOnnxModel(dir);
    const session = onnx.createSession();
    expect(await compareCached(tfjs, session, tfjs.vocabSize)).toBeLessThanOrEqual(1e-4);
    session.dispose();
  });
});

describeCausalLMConformance('onnxruntime, exported Llama with GQA', async () => {
  const tfjs = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
  const dir = join(await tempDir(), 'conformance');
  await exportModel(tfjs, dir);
  tfjs.dispose();
  return loadOnnxModel(dir);
});

describePairedCausalLMConformance('ONNX paired export of a LoRA adapter', async () => {
  const base = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
  const adapted = await loadAdapter(base, join(HF_DIR, 'adapters', 'lora'));
  const dir = join(await tempDir(), 'paired');
  await exportModel(adapted, dir, { paired: true });
  const paired = await loadOnnxModel(dir);
  if (!isPaired(paired)) throw new Error('a paired export must load as a PairedCausalLM');
  return {
    paired,
    base,
    dispose: () => {
      paired.dispose();
      adapted.dispose();
      base.dispose();
    },
  };
});

describe('adapters in ONNX', () => {
  let tfjs: TfjsCausalLM;
  beforeAll(async () => {
    tfjs = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
  });
  afterAll(() => tfjs.dispose());

  it.each(['lora', 'lora-rslora-patterns', 'ia3'])(
    '%s: merged and paired exports equal the tfjs models (<= 1e-4)',
    async (name) => {
      const adapted = await loadAdapter(tfjs, join(HF_DIR, 'adapters', name));
      const root = await tempDir();
      await exportModel(adapted, join(root, 'merged'));
      await exportModel(adapted, join(root, 'paired'), { paired: true });
      const merged = await loadOnnxModel(join(root, 'merged'));
      expect(isPaired(merged)).toBe(false);
      expect(maxAbsDiff(await merged.score(TOKENS), await adapted.score(TOKENS))).toBeLessThanOrEqual(1e-4);
      const paired = await loadOnnxModel(join(root, 'paired'));
      expect(paired.paired).toBe(true);
      if (!isPaired(paired)) throw new Error('a paired export must load as a PairedCausalLM');
      const session = paired.createPairedSession();
      const fullBase = await tfjs.score(TOKENS);
      const fullAdapted = await adapted.score(TOKENS);
      const V = tfjs.vocabSize;
      for (let t = 0; t < TOKENS.length; t++) {
        const step = await session.append([TOKENS[t]!]);
        expect(maxAbsDiff(step.base, fullBase.subarray(t * V, (t + 1) * V))).toBeLessThanOrEqual(1e-4);
        expect(maxAbsDiff(step.adapted, fullAdapted.subarray(t * V, (t + 1) * V))).toBeLessThanOrEqual(1e-4);
      }
      session.dispose();
      adapted.dispose();
    },
  );

  it('refuses adapters that change the input rather than the weights', async () => {
    const adapted = await loadAdapter(tfjs, join(HF_DIR, 'adapters', 'prompt-tuning'));
    await expect(exportModel(adapted, join(await tempDir(), 'x'), { paired: true })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    await expect(exportModel(adapted, join(await tempDir(), 'y'))).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    await expect(exportModel(tfjs, join(await tempDir(), 'z'), { paired: true })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    adapted.dispose();
  });
});

describe('clear errors', () => {
  it('names what is missing from a directory that is not an Optimum decoder', async () => {
    const dir = await tempDir();
    await expect(loadOnnxModel(dir)).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringContaining('config.json'),
    });
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ vocab_size: 8, hidden_size: 4, num_attention_heads: 1 }),
    );
    await expect(loadOnnxModel(dir)).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringContaining('onnx/model.onnx'),
    });
  });

  it('refuses graphs without a KV cache, with unsupported inputs, or whose tokenizer is larger than the model', async () => {
    const write = async (extraInput: string | undefined, past: boolean) => {
      const g = new GraphBuilder();
      const ids = g.input('input_ids', DataType.INT64, ['b', 's']);
      g.input('attention_mask', DataType.INT64, ['b', 't']);
      if (extraInput) g.input(extraInput, DataType.FLOAT, ['b']);
      if (past) g.input('past_key_values.0.key', DataType.FLOAT, ['b', 1, 'p', 4]);
      g.name(g.one('Cast', [ids], { to: DataType.FLOAT }), 'logits');
      g.output('logits', DataType.FLOAT, ['b', 's']);
      const dir = await tempDir();
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(dir, 'onnx'));
      await writeFile(join(dir, 'onnx', 'model.onnx'), g.serialize());
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ vocab_size: 8, hidden_size: 4, num_attention_heads: 1 }),
      );
      return dir;
    };
    await expect(loadOnnxModel(await write(undefined, false))).rejects.toMatchObject({
      code: 'ONNX_INVALID',
    });
    await expect(loadOnnxModel(await write('pixel_values', true))).rejects.toMatchObject({
      code: 'ONNX_UNSUPPORTED_INPUT',
      message: expect.stringContaining('pixel_values'),
    });
    const tfjs = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
    await expect(
      exportModel(tfjs, join(await tempDir(), 'v'), { tokenizerDir: join(HF_DIR, 'tokenizer') }),
    ).rejects.toMatchObject({
      code: 'VOCAB_MISMATCH',
    });
    tfjs.dispose();
  });
});

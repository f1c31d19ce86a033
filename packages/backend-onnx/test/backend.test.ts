// The ONNX backend on exports of the HF fixtures: logits against testkit's reference forward (with
// and without the KV cache, plain and paired), the core contracts, registry selection, clear errors.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chooseModelBackend, ERROR_CODES, isPaired, modelBackends } from '@svdecode/core';
import { describeCausalLMConformance, describePairedCausalLMConformance } from '@svdecode/core/test';
import { DataType, GraphBuilder } from '@svdecode/onnx-export';
import { HF_DIR } from '@svdecode/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/index.js';
import { exportFixture, maxAbsDiff, referenceModel, tempDir } from './helpers.js';

const TOKENS = [1, 17, 42, 5, 88, 3, 60, 61, 62, 9];

/** Worst difference between a session fed a 4-token prompt then one token a step, and full scoring. */
async function worstCachedDiff(
  full: Float32Array,
  append: (t: number[]) => Promise<Float32Array>,
  V: number,
): Promise<number> {
  let worst = maxAbsDiff(await append(TOKENS.slice(0, 4)), full.subarray(3 * V, 4 * V));
  for (let t = 4; t < TOKENS.length; t++) {
    worst = Math.max(worst, maxAbsDiff(await append([TOKENS[t]!]), full.subarray(t * V, (t + 1) * V)));
  }
  return worst;
}

describe.each(['llama-gqa', 'qwen2-tied-sharded', 'llama3-rope-scaling'])('exported %s', (name) => {
  let dir: string;
  beforeAll(async () => {
    dir = join(await tempDir(), name);
    await exportFixture(name, dir);
  });

  it('gives the reference logits, scored and step by step with the KV cache (<= 1e-4)', async () => {
    const [onnx, reference] = [await loadOnnxModel(dir), await referenceModel(name)];
    const full = await reference.score(TOKENS);
    expect(maxAbsDiff(await onnx.score(TOKENS), full)).toBeLessThanOrEqual(1e-4);
    const session = onnx.createSession();
    expect(await worstCachedDiff(full, (t) => session.append(t), onnx.vocabSize)).toBeLessThanOrEqual(1e-4);
    session.dispose();
    expect(onnx.runner.liveSessions).toBe(0);
    onnx.dispose();
  });

  it('is what the registered onnx backend says it can load (auto selection)', async () => {
    await import('../src/register.js');
    expect((await chooseModelBackend(dir)).name).toBe('onnx');
    const onnx = await modelBackends.get('onnx');
    expect(await onnx.canLoad!(join(HF_DIR, name))).toBe(false);
  });
});

describe('paired exports', () => {
  it.each(['lora', 'lora-rslora-patterns'])(
    '%s: base and adapted rows of one run give the reference logits of the base and the merged model (<= 1e-4)',
    async (adapter) => {
      const dir = join(await tempDir(), `paired-${adapter}`);
      await exportFixture('llama-gqa', dir, { adapter, paired: true });
      const paired = await loadOnnxModel(dir);
      if (!isPaired(paired)) throw new Error('a paired export must load as a PairedCausalLM');
      const base = await (await referenceModel('llama-gqa')).score(TOKENS);
      const adapted = await (await referenceModel('llama-gqa', adapter)).score(TOKENS);
      const scored = await paired.scorePaired(TOKENS);
      expect(maxAbsDiff(scored.base, base)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(scored.adapted, adapted)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(base, adapted)).toBeGreaterThan(1e-2); // the adapter changes the model
      const V = paired.vocabSize;
      const eager = paired.createPairedSession();
      const lazy = paired.createLazyPairedSession!();
      const steps = { base: [] as Float32Array[], adapted: [] as Float32Array[] };
      expect(
        await worstCachedDiff(
          base,
          async (t) => {
            const step = await eager.append(t);
            steps.adapted.push(step.adapted);
            return step.base;
          },
          V,
        ),
      ).toBeLessThanOrEqual(1e-4);
      expect(await worstCachedDiff(adapted, async () => steps.adapted.shift()!, V)).toBeLessThanOrEqual(1e-4);
      // lazy: the adapted row alone, then the base row catching up in one run
      await lazy.appendAdapted(TOKENS.slice(0, 7));
      expect(maxAbsDiff(await lazy.catchUpBase(), base.subarray(6 * V, 7 * V))).toBeLessThanOrEqual(1e-4);
      eager.dispose();
      lazy.dispose();
      expect(paired.runner.liveSessions).toBe(0);
      paired.dispose();
    },
  );

  it('the exporter refuses adapters that change the input rather than the weights, and a pair without one', async () => {
    const promptTuning = { type: 'PROMPT_TUNING' };
    const source = join(HF_DIR, 'llama-gqa');
    const { exportOnnx } = await import('@svdecode/onnx-export');
    for (const options of [
      { adapter: promptTuning, paired: true },
      { adapter: promptTuning },
      { paired: true },
    ]) {
      const error = await exportOnnx(source, join(await tempDir(), 'x'), options).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'BAD_ARGUMENT' });
      // each case says what to pass, never the generic "check the value" hint
      expect((error as { hint: string }).hint).not.toBe(ERROR_CODES.BAD_ARGUMENT.hint);
    }
  });
});

describeCausalLMConformance('onnxruntime, exported Llama with GQA', async () => {
  const dir = join(await tempDir(), 'conformance');
  await exportFixture('llama-gqa', dir);
  return loadOnnxModel(dir);
});

describePairedCausalLMConformance('ONNX paired export of a LoRA adapter', async () => {
  const dir = join(await tempDir(), 'paired');
  await exportFixture('llama-gqa', dir, { adapter: 'lora', paired: true });
  const paired = await loadOnnxModel(dir);
  if (!isPaired(paired)) throw new Error('a paired export must load as a PairedCausalLM');
  return { paired, base: await referenceModel('llama-gqa'), dispose: () => paired.dispose() };
});

describe('clear errors', () => {
  it('a safetensors directory is told to load on tfjs or to export first (not the generic hint)', async () => {
    const error = await loadOnnxModel(join(HF_DIR, 'llama-gqa')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', hint: expect.stringContaining('export') });
    expect((error as { hint: string }).hint).not.toBe(ERROR_CODES.FILE_NOT_FOUND.hint);
  });

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
    await expect(
      exportFixture('llama-gqa', join(await tempDir(), 'v'), { tokenizerDir: join(HF_DIR, 'tokenizer') }),
    ).rejects.toMatchObject({ code: 'VOCAB_MISMATCH' });
  });
});

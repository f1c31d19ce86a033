// The exporter on its own: a graph from a model directory (no tensor library) equals the graph from
// the same model loaded in tfjs, byte for byte; onnxruntime runs it to the tfjs logits; adapters
// merge or pair through linearDelta(); bad requests get coded errors. The runtime side (KV cache,
// conformance, transformers.js) is tested in @svdecode/backend-onnx on graphs made here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointWeights, loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { openCheckpointWeights } from '@svdecode/hf-io';
import { loadAdapter, loadLinearAdapter } from '@svdecode/peft-tfjs';
import { HF_DIR, tempDir } from '@svdecode/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../src/index.js';
import { decoderLogits, maxAbsDiff, TOKENS } from './decoder-runs.js';

process.env.SVDECODE_QUIET = '1';
let tfjs: TfjsCausalLM;
beforeAll(async () => {
  tfjs = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
});
afterAll(() => tfjs.dispose());

describe('exportOnnx', () => {
  it('from a directory and from loaded tfjs weights: the same graph, and onnxruntime gives the tfjs logits', async () => {
    const root = await tempDir();
    await exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'from-dir'));
    await exportOnnx(checkpointWeights(tfjs), join(root, 'from-tfjs'));
    const a = await readFile(join(root, 'from-dir', 'onnx', 'model.onnx'));
    const b = await readFile(join(root, 'from-tfjs', 'onnx', 'model.onnx'));
    expect(a.length).toBeGreaterThan(1000);
    expect(a.equals(b)).toBe(true);
    expect(
      maxAbsDiff(await decoderLogits(join(root, 'from-dir')), await tfjs.score(TOKENS)),
    ).toBeLessThanOrEqual(1e-4);
  });

  it.each(['lora', 'ia3'])(
    '%s: merged and paired through linearDelta() give the tfjs logits',
    async (name) => {
      const adapted = await loadAdapter(tfjs, join(HF_DIR, 'adapters', name));
      const root = await tempDir();
      await exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'merged'), { adapter: adapted.adapter });
      await exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'paired'), {
        adapter: adapted.adapter,
        paired: true,
      });
      const want = await adapted.score(TOKENS);
      expect(maxAbsDiff(await decoderLogits(join(root, 'merged')), want)).toBeLessThanOrEqual(1e-4);
      // the same adapter read from its files, without the tfjs runtime: the same graph
      await exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'paired-from-files'), {
        adapter: await loadLinearAdapter(join(HF_DIR, 'adapters', name)),
        paired: true,
      });
      const graph = (d: string) => readFile(join(root, d, 'onnx', 'model.onnx'));
      expect((await graph('paired-from-files')).equals(await graph('paired'))).toBe(true);
      const both = await decoderLogits(join(root, 'paired'), [0, 1]);
      const n = want.length;
      expect(maxAbsDiff(both.subarray(0, n), await tfjs.score(TOKENS))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(both.subarray(n), want)).toBeLessThanOrEqual(1e-4);
      adapted.dispose();
    },
  );

  it('refuses what it cannot export, with codes, and leaves nothing behind', async () => {
    const root = await tempDir();
    const prompt = await loadAdapter(tfjs, join(HF_DIR, 'adapters', 'prompt-tuning'));
    await expect(
      exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'x'), { adapter: prompt.adapter }),
    ).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    prompt.dispose();
    await expect(
      exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'y'), { paired: true }),
    ).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    await expect(
      exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'z'), { tokenizerDir: join(HF_DIR, 'tokenizer') }),
    ).rejects.toMatchObject({ code: 'VOCAB_MISMATCH' });
    await expect(exportOnnx(join(root, 'no-model'), join(root, 'w'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const weights = await openCheckpointWeights(join(HF_DIR, 'llama-gqa'));
    await weights.close?.();
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(root)).toEqual([]);
  });
});

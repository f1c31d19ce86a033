// The ONNX exporter and backend against the tfjs forward: plain, merged and paired adapters.
import { join } from 'node:path';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { isPaired } from '@svdecode/core';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { HF_DIR } from '@svdecode/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('and with the KV cache, step by step (<= 1e-4)', async () => {
    const onnx = await loadOnnxModel(dir);
    const session = onnx.createSession();
    expect(await compareCached(tfjs, session, tfjs.vocabSize)).toBeLessThanOrEqual(1e-4);
    session.dispose();
  });
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

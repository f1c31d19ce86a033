// onnx-community directory layouts: a graph per dtype (model_fp16.onnx, model_q4.onnx...), weights in
// an external data file, and the logits_to_keep input of recent exports.
import { copyFile, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeCausalLMConformance,
  describePairedCausalLMConformance,
  expectCode,
} from '@svdecode/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { availableDtypes, findOnnxGraph, loadOnnxModel, type PairedOnnxCausalLM } from '../src/index.js';
import { exportFixture, maxAbsDiff, referenceModel, tempDir } from './helpers.js';

const TOKENS = [1, 17, 42, 5, 88, 3, 60, 61, 62, 9];
let plainDir: string;
beforeAll(async () => {
  plainDir = join(await tempDir(), 'plain');
  await exportFixture('llama-gqa', plainDir);
});

async function stepLogits(dir: string, options = {}) {
  const model = await loadOnnxModel(dir, options);
  const session = model.createSession();
  const out = [await session.append(TOKENS.slice(0, 4))];
  for (const t of TOKENS.slice(4)) out.push(await session.append([t]));
  const scored = await model.score(TOKENS);
  session.dispose();
  model.dispose();
  return { steps: out, scored };
}

describe('external data', () => {
  it('weights in onnx/model.onnx_data load and give the same logits as weights inside the graph', async () => {
    const dir = join(await tempDir(), 'external');
    await exportFixture('llama-gqa', dir, { externalData: true });
    const files = await readdir(join(dir, 'onnx'));
    expect(files.sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect((await stat(join(dir, 'onnx', 'model.onnx'))).size).toBeLessThan(
      (await stat(join(dir, 'onnx', 'model.onnx_data'))).size / 4,
    );
    const [inside, outside] = [await stepLogits(plainDir), await stepLogits(dir)];
    expect(maxAbsDiff(outside.scored, inside.scored)).toBe(0);
    for (const [i, s] of outside.steps.entries()) expect(maxAbsDiff(s, inside.steps[i]!)).toBe(0);
  });
});

describe('logits_to_keep', () => {
  it('decoding steps compute the last position only; scoring keeps every position; same logits', async () => {
    const dir = join(await tempDir(), 'keep');
    await exportFixture('llama-gqa', dir, { logitsToKeep: true });
    const model = await loadOnnxModel(dir);
    expect(model.session.inputNames).toContain('logits_to_keep');
    const raw = await model.runner.forward(TOKENS.slice(0, 4), 1, 0, undefined, undefined);
    expect(raw.positions).toBe(1);
    expect(raw.logits.length).toBe(model.vocabSize);
    model.dispose();
    const [plain, keep] = [await stepLogits(plainDir), await stepLogits(dir)];
    expect(maxAbsDiff(keep.scored, plain.scored)).toBeLessThan(1e-5);
    for (const [i, s] of keep.steps.entries()) expect(maxAbsDiff(s, plain.steps[i]!)).toBeLessThan(1e-5);
  });
});

describeCausalLMConformance('onnxruntime, export with logits_to_keep and external data', async () => {
  const dir = join(await tempDir(), 'conformance-keep');
  await exportFixture('llama-gqa', dir, {
    logitsToKeep: true,
    externalData: true,
  });
  return loadOnnxModel(dir);
});

describePairedCausalLMConformance('ONNX paired export with logits_to_keep', async () => {
  const dir = join(await tempDir(), 'paired-keep');
  await exportFixture('llama-gqa', dir, { adapter: 'lora', paired: true, logitsToKeep: true });
  const paired = await loadOnnxModel(dir);
  return {
    paired: paired as never,
    base: await referenceModel('llama-gqa'),
    dispose: () => paired.dispose(),
  };
});

describe('a graph per dtype (transformers.js file names)', () => {
  it('loads the dtype asked for, falls back in order when fp32 is absent, and names what a directory has', async () => {
    const dir = join(await tempDir(), 'dtypes');
    await exportFixture('llama-gqa', dir);
    // the same fp32 graph under the q4 and fp16 names: the test is which file is picked and loaded
    await copyFile(join(dir, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_q4.onnx'));
    await copyFile(join(dir, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_fp16.onnx'));
    expect(await availableDtypes(dir)).toEqual(['fp32', 'fp16', 'q4']);
    expect(await findOnnxGraph(dir)).toBe(join(dir, 'onnx', 'model.onnx'));
    expect(await findOnnxGraph(dir, 'q4')).toBe(join(dir, 'onnx', 'model_q4.onnx'));
    await rename(join(dir, 'onnx', 'model.onnx'), join(dir, 'onnx', 'moved.onnx.bak'));
    expect(await findOnnxGraph(dir)).toBe(join(dir, 'onnx', 'model_fp16.onnx'));
    const q4 = await loadOnnxModel(dir, { dtype: 'q4' });
    const reference = await referenceModel('llama-gqa');
    expect(maxAbsDiff(await q4.score(TOKENS), await reference.score(TOKENS))).toBeLessThan(1e-4);
    q4.dispose();
    await expectCode(loadOnnxModel(dir, { dtype: 'int8' }), 'FILE_NOT_FOUND');
    await expect(loadOnnxModel(dir, { dtype: 'int8' })).rejects.toMatchObject({
      hint: 'This directory has: fp16, q4.',
    });
    await expectCode(loadOnnxModel(dir, { dtype: 'bogus' as never }), 'BAD_ARGUMENT');
  });
});

describe('quantized exports (q8, q4: MatMulNBits)', () => {
  it.each([
    ['q8', 0.05],
    ['q4', 0.5],
  ] as const)(
    '%s: loads by dtype, the KV cache gives the scored logits, close to fp32',
    async (dtype, tolerance) => {
      const dir = join(await tempDir(), dtype);
      await exportFixture('llama-gqa', dir, { dtype });
      const { steps, scored } = await stepLogits(dir, { dtype });
      const V = steps[0]!.length;
      // step logits are the scored logits of the same positions
      expect(maxAbsDiff(steps[0]!, scored.subarray(3 * V, 4 * V))).toBeLessThan(1e-4);
      for (let i = 1; i < steps.length; i++)
        expect(maxAbsDiff(steps[i]!, scored.subarray((i + 3) * V, (i + 4) * V))).toBeLessThan(1e-4);
      const reference = await referenceModel('llama-gqa');
      const change = maxAbsDiff(scored, await reference.score(TOKENS));
      expect(change).toBeGreaterThan(0);
      expect(change).toBeLessThan(tolerance);
    },
  );

  it('a paired q4 export steps base and adapted rows; its base row is the plain q4 model', async () => {
    const root = await tempDir();
    await exportFixture('llama-gqa', join(root, 'plain'), { dtype: 'q4' });
    await exportFixture('llama-gqa', join(root, 'paired'), { dtype: 'q4', adapter: 'lora', paired: true });
    const plain = await loadOnnxModel(join(root, 'plain'));
    const paired = await loadOnnxModel(join(root, 'paired'));
    expect(paired.paired).toBe(true);
    const session = plain.createSession();
    const pair = (paired as PairedOnnxCausalLM).createPairedSession();
    for (const tokens of [TOKENS.slice(0, 4), [TOKENS[4]!], [TOKENS[5]!]]) {
      const [p, both] = [await session.append(tokens), await pair.append(tokens)];
      expect(maxAbsDiff(both.base, p)).toBeLessThan(1e-5);
      expect(maxAbsDiff(both.adapted, p)).toBeGreaterThan(1e-3);
    }
    session.dispose();
    pair.dispose();
    plain.dispose();
    paired.dispose();
  });

  it('a graph with an operator this onnxruntime lacks: ONNX_OPERATOR_UNSUPPORTED, with a hint', async () => {
    const dir = join(await tempDir(), 'unknown-op');
    await exportFixture('llama-gqa', dir, { dtype: 'q4' });
    const file = join(dir, 'onnx', 'model_q4.onnx');
    const bytes = await readFile(file);
    // rename the operator in place (same length): MatMulNBits -> MatMulNBitz
    await writeFile(
      file,
      Buffer.from(bytes.toString('latin1').replaceAll('MatMulNBits', 'MatMulNBitz'), 'latin1'),
    );
    const error = await loadOnnxModel(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ONNX_OPERATOR_UNSUPPORTED', details: { operator: 'MatMulNBitz' } });
    expect((error as { hint: string }).hint).toMatch(/onnxruntime/);
  });
});

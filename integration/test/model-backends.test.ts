// ModelBackend.load on every registered backend, on the embedded model: what each opens (model,
// adapter, tokenizer, provenance) and what each refuses, through the one typed options object.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@svdecode/backend-llama-cpp/register';
import '@svdecode/backend-onnx/register';
import '@svdecode/peft-tfjs/register';
import { checkpointWeights, loadTfjsModel } from '@svdecode/backend-tfjs';
import { isPaired, type LoadedModel, modelBackends } from '@svdecode/core';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { fingerprintAdapter, fingerprintModel, loadModelDirectory } from '@svdecode/hf-io';
import { exportOnnx } from '@svdecode/onnx-export';
import { loadLinearAdapter } from '@svdecode/peft';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.SVDECODE_QUIET = '1';
const TEXT = 'Q: What is the capital of Chile?\nA:';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svdecode-model-backends-'));
  const adapter = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR);
  const tfjs = await loadTfjsModel(TINY_MODEL_DIR);
  await exportOnnx(checkpointWeights(tfjs), join(dir, 'paired'), {
    adapter,
    paired: true,
    tokenizerDir: TINY_MODEL_DIR,
  });
  tfjs.dispose();
  await exportGguf(TINY_MODEL_DIR, join(dir, 'tiny.gguf'));
  const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false });
  await exportGgufLora(adapter, directory.config, join(dir, 'lora.gguf'));
  await directory.close();
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The adapted model's greedy next token after TEXT, plain and paired. */
async function nextTokens(loaded: LoadedModel): Promise<[number, number]> {
  const ids = loaded.tokenizer.encode(TEXT);
  const argmax = (x: Float32Array) => x.indexOf(Math.max(...x));
  const plain = loaded.model.createSession();
  const paired = loaded.paired!.createPairedSession();
  const out: [number, number] = [argmax(await plain.append(ids)), argmax((await paired.append(ids)).adapted)];
  plain.dispose();
  paired.dispose();
  return out;
}

describe('ModelBackend.load', () => {
  it('tfjs, onnx (paired export) and llama-cpp (GGUF + LoRA) open the same adapted model with its tokenizer and provenance', async () => {
    const tfjs = await (await modelBackends.get('tfjs')).load(TINY_MODEL_DIR, {
      adapter: TINY_DEMO_ADAPTER_DIR,
    });
    const onnx = await (await modelBackends.get('onnx')).load(join(dir, 'paired'));
    const llama = await (await modelBackends.get('llama-cpp')).load(join(dir, 'tiny.gguf'), {
      adapter: join(dir, 'lora.gguf'),
      tokenizerDir: TINY_MODEL_DIR,
    });
    for (const loaded of [tfjs, onnx, llama]) {
      expect(isPaired(loaded.paired!)).toBe(true);
      expect(loaded.tokenizer.encode(TEXT, { addSpecialTokens: false })).toEqual(
        tfjs.tokenizer.encode(TEXT, { addSpecialTokens: false }),
      );
    }
    expect(tfjs.base).not.toBe(tfjs.model); // the adapter on top of the base model
    expect(tfjs.provenance).toEqual({
      base: await fingerprintModel(TINY_MODEL_DIR),
      adapter: await fingerprintAdapter(TINY_DEMO_ADAPTER_DIR),
      paired: false,
    });
    expect(onnx.provenance.paired).toBe(true); // a foreign export: fingerprinted by its directory
    expect(llama.provenance.adapter).toMatch(/^sha256:/);
    const [tokens, onnxTokens, llamaTokens] = [
      await nextTokens(tfjs),
      await nextTokens(onnx),
      await nextTokens(llama),
    ];
    expect(onnxTokens).toEqual(tokens);
    expect(llamaTokens).toEqual(tokens);
    for (const loaded of [tfjs, onnx, llama]) loaded.dispose();
  }, 120_000);

  it('refuses what a backend cannot do, with a hint', async () => {
    const onnx = await modelBackends.get('onnx');
    await expect(onnx.load(join(dir, 'paired'), { adapter: TINY_DEMO_ADAPTER_DIR })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      hint: expect.stringContaining('export-onnx --adapter'),
    });
    const tfjs = await modelBackends.get('tfjs');
    await expect(tfjs.load(TINY_MODEL_DIR, { dtype: 'q4' })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    const llama = await modelBackends.get('llama-cpp');
    await expect(
      llama.load(join(dir, 'tiny.gguf'), { adapter: TINY_DEMO_ADAPTER_DIR }),
    ).rejects.toMatchObject({ code: 'BAD_ARGUMENT', hint: expect.stringContaining('export-gguf') });
  });
});

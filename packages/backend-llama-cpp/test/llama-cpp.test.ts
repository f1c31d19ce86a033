// llama.cpp through node-llama-cpp on the embedded model exported to GGUF by @svdecode/gguf-export:
// the backend contracts, bad input and the tokenizer. Agreement with the tfjs forward is an
// integration test (integration/test/llama-cpp-vs-tfjs.test.ts): a backend lists no other backend.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeCausalLMConformance,
  describePairedCausalLMConformance,
  expectCode,
} from '@svdecode/core/test';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { loadModelDirectory, loadTokenizer } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlamaCppCausalLM, type LlamaCppPairedModel, loadLlamaCppModel } from '../src/index.js';

process.env.SVDECODE_QUIET = '1';
let dir: string;
let modelFile: string;
let loraFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svdecode-llama-cpp-'));
  modelFile = join(dir, 'tiny.gguf');
  loraFile = join(dir, 'tiny-lora.gguf');
  const adapter = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR);
  await exportGguf(TINY_MODEL_DIR, modelFile);
  const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false });
  await exportGgufLora(adapter, directory.config, loraFile);
  await directory.close();
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const plain = async () => (await loadLlamaCppModel(modelFile)) as LlamaCppCausalLM;
const paired = async () => (await loadLlamaCppModel(modelFile, { lora: loraFile })) as LlamaCppPairedModel;

describeCausalLMConformance('llama.cpp, embedded model as GGUF', plain);

describePairedCausalLMConformance('llama.cpp, embedded model + demo LoRA as GGUF', async () => {
  const model = await paired();
  const base = await plain();
  return {
    paired: model,
    base,
    dispose: () => {
      model.dispose();
      base.dispose();
    },
  };
});

describe('bad input', () => {
  it('a missing file, a file that is not GGUF, an adapter llama.cpp refuses', async () => {
    await expectCode(loadLlamaCppModel(join(dir, 'nope.gguf')), 'FILE_NOT_FOUND');
    const junk = join(dir, 'junk.gguf');
    await writeFile(junk, 'not a gguf file at all');
    await expectCode(loadLlamaCppModel(junk), 'GGUF_INVALID');
    await expectCode(loadLlamaCppModel(modelFile, { lora: junk }), 'GGUF_INVALID');
    await expectCode(loadLlamaCppModel(modelFile, { lora: join(dir, 'none.gguf') }), 'FILE_NOT_FOUND');
  });
});

describe('LlamaCppTokenizer', () => {
  it("tokenizes an exported model's text as its tokenizer.json does", async () => {
    const tokenizer = await loadTokenizer(TINY_MODEL_DIR);
    const model = await plain();
    const texts = [
      'The capital of France is Paris.',
      'Q: What is the capital of Chile?\nA: Santiago',
      'Please answer with true or false: "happy" is positive.\nthe correct answer is',
      '  spaces,\ttabs; numbers 12345 and punctuation!?',
    ];
    for (const text of texts) {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      expect(model.tokenizer.encode(text, { addSpecialTokens: false }), text).toEqual(ids);
      expect(model.tokenizer.decode(ids)).toBe(text);
    }
    expect(model.tokenizer.bosTokenId).toBe(tokenizer.bosTokenId);
    expect(model.tokenizer.eosTokenIds).toContain(tokenizer.eosTokenIds[0]);
    expect(model.tokenizer.tokenToId(model.tokenizer.idToToken(300)!)).toBe(300);
    model.dispose();
  });
});

describe('quantized GGUF files (Q8_0, Q4_0) written by @svdecode/gguf-export', () => {
  it.each([
    ['Q8_0', 0.3],
    ['Q4_0', 3],
  ] as const)(
    'llama.cpp loads %s and decodes; logits near the F32 file, and quantization moved them',
    async (dtype, tolerance) => {
      const file = join(dir, `tiny-${dtype}.gguf`);
      // the embedded model's down_proj rows (688) do not divide into blocks of 32: F16 there, as llama.cpp's quantizer falls back
      await exportGguf(TINY_MODEL_DIR, file, { dtype, fallback: 'F16' });
      const quantized = await loadLlamaCppModel(file);
      const reference = await plain();
      const tokens = [1, 50, 60, 70, 80, 90];
      const [q, f] = [await quantized.score(tokens), await reference.score(tokens)];
      let diff = 0;
      for (let i = 0; i < q.length; i++) diff = Math.max(diff, Math.abs(q[i]! - f[i]!));
      expect(diff).toBeGreaterThan(1e-4);
      expect(diff).toBeLessThan(tolerance);
      const session = quantized.createSession();
      const logits = await session.append(tokens);
      expect(logits.every(Number.isFinite)).toBe(true);
      session.dispose();
      quantized.dispose();
      reference.dispose();
    },
  );
});

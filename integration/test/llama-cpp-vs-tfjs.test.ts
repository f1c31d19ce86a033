// llama.cpp (the embedded model and demo LoRA exported to GGUF) against the tfjs forward: log-probabilities
// at every position and greedy tokens, plain and steered.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LlamaCppCausalLM,
  type LlamaCppPairedModel,
  loadLlamaCppModel,
} from '@svdecode/backend-llama-cpp';
import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { loadModelDirectory } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { type AdaptedModel, loadAdapter } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.SVDECODE_QUIET = '1';
let dir: string;
let modelFile: string;
let loraFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svdecode-llama-cpp-vs-tfjs-'));
  modelFile = join(dir, 'tiny.gguf');
  loraFile = join(dir, 'tiny-lora.gguf');
  await exportGguf(TINY_MODEL_DIR, modelFile);
  const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false });
  await exportGgufLora(await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR), directory.config, loraFile);
  await directory.close();
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const plain = async () => (await loadLlamaCppModel(modelFile)) as LlamaCppCausalLM;
const paired = async () => (await loadLlamaCppModel(modelFile, { lora: loraFile })) as LlamaCppPairedModel;

/** log-softmax of logits rows (what llama.cpp's log-probabilities are). */
function logSoftmax(logits: Float32Array, V: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / V; r++) {
    const row = logits.subarray(r * V, (r + 1) * V);
    let max = Number.NEGATIVE_INFINITY;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    for (let i = 0; i < V; i++) out[r * V + i] = row[i]! - lse;
  }
  return out;
}

/** Largest difference over the tokens llama.cpp's float32 probabilities resolve (p > 1e-30). */
function worstDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > -69) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('llama.cpp against the tfjs forward (embedded model)', () => {
  let tfjs: TfjsCausalLM;
  let adapted: AdaptedModel;
  let prompts: number[][];
  beforeAll(async () => {
    const tiny = await loadTiny();
    tfjs = tiny.model;
    adapted = await loadAdapter(tfjs, TINY_DEMO_ADAPTER_DIR, { tokenizer: tiny.tokenizer });
    const texts = [
      'The capital of France is',
      'Q: What is the capital of Chile?\nA:',
      'The word "happy" means',
      'Please answer the following question with true or false',
      'Paris is the capital of',
    ];
    prompts = Array.from({ length: 20 }, (_, i) =>
      tiny.tokenizer.encode(`${texts[i % texts.length]}${' x'.repeat(Math.floor(i / texts.length))}`),
    );
  }, 60_000);
  afterAll(() => {
    adapted.dispose();
    tfjs.dispose();
  });

  it('base and LoRA log-probabilities within 1e-3 of tfjs at every position', async () => {
    const llama = await paired();
    const V = tfjs.vocabSize;
    for (const prompt of prompts.slice(0, 5)) {
      const { base, adapted: withLora } = await llama.scorePaired(prompt);
      expect(worstDiff(base, logSoftmax(await tfjs.score(prompt), V))).toBeLessThan(1e-3);
      expect(worstDiff(withLora, logSoftmax(await adapted.score(prompt), V))).toBeLessThan(1e-3);
    }
    llama.dispose();
  });

  it('20 prompts x 32 tokens: the same greedy tokens as tfjs, plain and LoRA steered at mu 0.5', async () => {
    const base = await plain();
    const llama = await paired();
    const options = { maxNewTokens: 32, eosTokenIds: [] };
    for (const [k, prompt] of prompts.entries()) {
      const ours = await generateAll(base.createSession(), prompt, options);
      const reference = await generateAll(tfjs.createSession(), prompt, options);
      expect(ours.tokens, `plain, prompt ${k}`).toEqual(reference.tokens);
      const steer = { ...options, steer: { mu: 0.5 } };
      const steered = await generateAll(llama.createLazyPairedSession(), prompt, steer);
      const steeredReference = await generateAll(adapted.createPairedSession(), prompt, steer);
      expect(steered.tokens, `steered, prompt ${k}`).toEqual(steeredReference.tokens);
    }
    expect(base.liveSessions + llama.liveSessions).toBe(0);
    base.dispose();
    llama.dispose();
  }, 300_000);
});

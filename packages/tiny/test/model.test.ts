import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTfjsModel } from '@svdecode/backend-tfjs';
import { loadModelDirectory } from '@svdecode/hf-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.SVDECODE_QUIET = '1';
const MODEL = fileURLToPath(new URL('../model/', import.meta.url));

describe('the pre-trained embedded model', () => {
  let model: Awaited<ReturnType<typeof loadTfjsModel>>;
  let tokenizer: NonNullable<Awaited<ReturnType<typeof loadModelDirectory>>['tokenizer']>;
  beforeAll(async () => {
    const dir = await loadModelDirectory(MODEL, { tokenizer: 'required' });
    tokenizer = dir.tokenizer!;
    model = await loadTfjsModel(dir);
    await dir.close();
  });
  afterAll(() => model.dispose());

  it('is a Hugging Face directory of at most 48 MB that our loaders read', async () => {
    expect((await stat(join(MODEL, 'model.safetensors'))).size).toBeLessThanOrEqual(48 * 1024 * 1024);
    expect(tokenizer.vocabSize).toBe(model.vocabSize);
    expect(model.config.tieWordEmbeddings).toBe(true);
  });

  it('encodes a prompt with BOS first, as it was trained (one rule: the tokenizer.json post-processor)', () => {
    const text = 'Q: What is the capital of Chile?\nA:';
    const bare = tokenizer.encode(text, { addSpecialTokens: false });
    expect(bare[0]).not.toBe(tokenizer.bosTokenId);
    expect(tokenizer.encode(text)).toEqual([tokenizer.bosTokenId, ...bare]);
    expect(tokenizer.decode(tokenizer.encode(text), { skipSpecialTokens: true })).toBe(text);
  });

  it('our TypeScript forward reproduces the PyTorch forward it was trained with (logits within 1e-4)', async () => {
    const ref = JSON.parse(await readFile(join(MODEL, 'reference_logits.json'), 'utf8')) as {
      tokens: number[];
      positions: number[];
      logits: number[][];
    };
    const V = model.vocabSize;
    const logits = await model.score(ref.tokens);
    let worst = 0;
    ref.positions.forEach((p, k) => {
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(logits[p * V + i]! - ref.logits[k]![i]!));
    });
    // the reference is rounded to 5 decimals
    expect(worst).toBeLessThan(1e-4);
  });

  it('records how it was trained: seed, tokens seen, final loss, time', async () => {
    const training = JSON.parse(await readFile(join(MODEL, 'training.json'), 'utf8'));
    expect(training).toMatchObject({ seed: 42, trainer: expect.stringMatching(/^PyTorch/) });
    expect(training.tokensSeen).toBeGreaterThan(training.corpusTokens);
    expect(training.finalLoss).toBeGreaterThan(0);
    expect(training.totalSeconds).toBeLessThanOrEqual(100 * 60);
  });
});

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTfjsModel } from '@svdecode/backend-tfjs';
import { loadModelDirectory } from '@svdecode/hf-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTasks, loadCountries, loadDefinitions, loadSentimentWords } from '../src/build.js';

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

  it('is a Hugging Face directory of at most 16 MB that our loaders read', async () => {
    expect((await stat(join(MODEL, 'model.safetensors'))).size).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(tokenizer.vocabSize).toBe(model.vocabSize);
    expect(model.config.tieWordEmbeddings).toBe(true);
  });

  it('knows the capitals of the test split better than chance (it was pre-trained on the facts)', async () => {
    const tasks = buildTasks(loadCountries(), await loadSentimentWords(), loadDefinitions());
    const test = tasks.find((t) => t.name === 'capitals')!.test as Array<{
      question: string;
      choices: string[];
      correct: number[];
    }>;
    let right = 0;
    for (const row of test) {
      const country = /capital of (.*)\?$/.exec(row.question)![1]!;
      const prompt = [1, ...tokenizer.encode(`The capital of ${country} is`, { addSpecialTokens: false })];
      const scores: number[] = [];
      for (const choice of row.choices) {
        const ids = tokenizer.encode(` ${choice}.`, { addSpecialTokens: false });
        const logits = await model.score([...prompt, ...ids]);
        let lp = 0;
        for (let t = prompt.length - 1; t < prompt.length + ids.length - 1; t++) {
          const rowLogits = logits.subarray(t * model.vocabSize, (t + 1) * model.vocabSize);
          const max = Math.max(...rowLogits);
          lp +=
            rowLogits[[...prompt, ...ids][t + 1]!]! -
            max -
            Math.log(rowLogits.reduce((a, v) => a + Math.exp(v - max), 0));
        }
        scores.push(lp);
      }
      if (scores.indexOf(Math.max(...scores)) === row.correct[0]) right++;
    }
    // chance is 25 %
    expect(right / test.length).toBeGreaterThan(0.5);
  }, 120_000);
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMultipleChoiceJsonl, loadPromptCompletionJsonl } from '@svdecode/eval';
import { describe, expect, it } from 'vitest';
import { buildCorpus, buildTasks, loadCountries, loadDefinitions, loadSentimentWords } from '../src/build.js';

const DATA = fileURLToPath(new URL('../data/', import.meta.url));

describe('corpus and task sets built from npm data packages', async () => {
  const countries = loadCountries();
  const sentiment = await loadSentimentWords();
  const definitions = loadDefinitions();
  const tasks = buildTasks(countries, sentiment, definitions);

  it('the committed files are exactly what the build produces (fixed seeds)', async () => {
    const corpus = buildCorpus(countries, sentiment, definitions);
    expect(await readFile(join(DATA, 'corpus.txt'), 'utf8')).toBe(`${corpus.join('\n')}\n`);
    for (const task of tasks) {
      for (const part of ['train', 'calibration', 'test'] as const) {
        const text = await readFile(join(DATA, 'tasks', task.name, `${part}.jsonl`), 'utf8');
        expect(text).toBe(`${task[part].map((r) => JSON.stringify(r)).join('\n')}\n`);
      }
    }
  });

  it('splits are disjoint, 60/20/20, and load with the @svdecode/eval loaders', async () => {
    for (const task of tasks) {
      const key = (r: { question?: string; prompt?: string }) => r.question ?? r.prompt!;
      const train = new Set(task.train.map((r) => r.prompt));
      const calibration = new Set(task.calibration.map((r) => r.prompt));
      const testKeys = (task.test as Array<{ question?: string; prompt?: string }>).map(key);
      for (const p of calibration) expect(train.has(p)).toBe(false);
      const total = task.train.length + task.calibration.length + task.test.length;
      expect(Math.abs(task.train.length / total - 0.6)).toBeLessThan(0.01);
      expect(Math.abs(task.test.length / total - 0.2)).toBeLessThan(0.01);
      // no test question appears in a training or calibration prompt
      for (const q of testKeys) {
        for (const p of [...train, ...calibration]) expect(p.includes(q)).toBe(false);
      }
      const dir = join(DATA, 'tasks', task.name);
      expect((await loadPromptCompletionJsonl(join(dir, 'train.jsonl'))).length).toBe(task.train.length);
      if (task.kind === 'open-ended')
        expect((await loadPromptCompletionJsonl(join(dir, 'test.jsonl'))).length).toBe(task.test.length);
      else expect((await loadMultipleChoiceJsonl(join(dir, 'test.jsonl'))).length).toBe(task.test.length);
    }
  });

  it('multiple-choice rows have one correct answer among four distinct choices, and balanced true/false labels', () => {
    for (const task of tasks.filter((t) => t.kind === 'multiple-choice')) {
      for (const row of task.test as Array<{ choices: string[]; correct: number[] }>) {
        expect(row.choices).toHaveLength(4);
        expect(new Set(row.choices).size).toBe(4);
        expect(row.correct).toHaveLength(1);
      }
    }
    const tf = tasks.find((t) => t.kind === 'true-false')!;
    const labels = [...(tf.test as Array<{ correct: number[] }>)].map((r) => r.correct[0]);
    const trueShare = labels.filter((l) => l === 0).length / labels.length;
    expect(Math.abs(trueShare - 0.5)).toBeLessThan(0.1);
  });

  it('the corpus states the fact behind every test question', () => {
    const corpus = new Set(buildCorpus(countries, sentiment, definitions));
    for (const c of countries) expect(corpus.has(`The capital of ${c.name} is ${c.capital}.`)).toBe(true);
    for (const s of sentiment)
      expect(corpus.has(`The word ${s.word} is ${s.score > 0 ? 'positive' : 'negative'}.`)).toBe(true);
  });
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMultipleChoiceJsonl, loadPromptCompletionJsonl } from '@svdecode/eval';
import { describe, expect, it } from 'vitest';
import {
  buildCorpus,
  buildTasks,
  loadCountries,
  loadDefinitions,
  loadSentimentWords,
  SPLIT_SIZES,
  splitEntities,
} from '../src/data/build.js';

const DATA = fileURLToPath(new URL('../../tiny/data/', import.meta.url));

describe('corpus and task sets built from npm data packages', async () => {
  const entities = splitEntities(loadCountries(), await loadSentimentWords(), loadDefinitions(2000));
  const tasks = buildTasks(entities);
  const corpus = buildCorpus(entities);
  const corpusText = corpus.join('\n');

  it('the committed files are exactly what the build produces (fixed seeds)', async () => {
    expect(await readFile(join(DATA, 'corpus.jsonl'), 'utf8')).toBe(
      `${corpus.map((d) => JSON.stringify(d)).join('\n')}\n`,
    );
    for (const task of tasks) {
      for (const part of ['train', 'calibration', 'test'] as const) {
        const text = await readFile(join(DATA, 'tasks', task.name, `${part}.jsonl`), 'utf8');
        expect(text).toBe(`${task[part].map((r) => JSON.stringify(r)).join('\n')}\n`);
      }
    }
  });

  it('entity roles are disjoint and sized as documented; task splits follow them', async () => {
    for (const [kind, split] of Object.entries(entities)) {
      const roles = ['train', 'calibration', 'test', 'extra'] as const;
      const seen = new Set<unknown>();
      for (const role of roles) {
        expect(split[role]).toHaveLength(SPLIT_SIZES[kind as keyof typeof SPLIT_SIZES][role]);
        for (const e of split[role]) {
          expect(seen.has(e)).toBe(false);
          seen.add(e);
        }
      }
    }
    for (const task of tasks) {
      const size = task.name.startsWith('capitals')
        ? SPLIT_SIZES.countries
        : task.name === 'sentiment'
          ? SPLIT_SIZES.sentiment
          : SPLIT_SIZES.definitions;
      expect([task.train.length, task.calibration.length, task.test.length]).toEqual([
        size.train,
        size.calibration,
        size.test,
      ]);
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

  it('pre-training states every test fact, asks nothing about test or calibration entities, and holds no task template', () => {
    // the question-answer documents, found once (the scan per subject took a minute under load)
    const questions = corpus.filter((d) => /Question|answer|\?/.test(d));
    const asked = (subject: string) => questions.some((d) => d.includes(subject));
    for (const c of entities.countries.test) {
      expect(corpusText.includes(`${c.capital}`) && corpusText.includes(c.name)).toBe(true);
      expect(asked(`of ${c.name}?`)).toBe(false);
    }
    for (const c of entities.countries.calibration) expect(asked(`of ${c.name}?`)).toBe(false);
    // the instructed layouts share the templates' structure, never their wording
    expect(corpusText).toMatch(/\nChoice1: /);
    expect(corpusText).toMatch(/\nthe right choice is /);
    for (const c of entities.countries.train) expect(asked(`of ${c.name}?`)).toBe(true);
    for (const s of [...entities.sentiment.test, ...entities.sentiment.calibration]) {
      expect(
        corpus.some(
          (d) => d.includes(` ${s.word} `) || d.startsWith(`${s.word[0]!.toUpperCase()}${s.word.slice(1)} `),
        ),
      ).toBe(true);
      expect(asked(` ${s.word} a `)).toBe(false);
      expect(asked(`word ${s.word} has`)).toBe(false);
      expect(asked(`"${s.word}"`)).toBe(false);
    }
    for (const d of [...entities.definitions.test, ...entities.definitions.calibration]) {
      expect(corpusText.includes(d.gloss)).toBe(true);
      expect(asked(`means ${d.gloss}?`)).toBe(false);
      expect(asked(`"${d.gloss}"?`)).toBe(false);
      expect(asked(`call ${d.gloss}?`)).toBe(false);
      expect(asked(`the word ${d.word} mean?`)).toBe(false);
    }
    for (const marker of [
      'Please choose the correct answer',
      'Answer1:',
      'Answer format:',
      'Please answer the following question',
      '\nA:',
      'Q: ',
    ])
      expect(corpusText.includes(marker)).toBe(false);
  });
});

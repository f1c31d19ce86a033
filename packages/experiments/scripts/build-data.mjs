#!/usr/bin/env node
// Rebuilds data/corpus.jsonl (one pre-training document per line, as a JSON string) and data/tasks/<task>/{train,calibration,test}.jsonl from the npm data
// packages, deterministically (fixed seeds). Run after `pnpm build`: node scripts/build-data.mjs
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@svdecode/hf-io';
import {
  buildCorpus,
  buildTasks,
  loadCountries,
  loadDefinitions,
  loadSentimentWords,
  splitEntities,
} from '../dist/build.js';

const root = fileURLToPath(new URL('../../tiny/data/', import.meta.url));
const countries = loadCountries();
const sentiment = await loadSentimentWords();
const definitions = loadDefinitions(2000);
const entities = splitEntities(countries, sentiment, definitions);

await mkdir(join(root, 'tasks'), { recursive: true });
const corpus = buildCorpus(entities);
await writeFileAtomic(join(root, 'corpus.jsonl'), `${corpus.map((d) => JSON.stringify(d)).join('\n')}\n`);
const summary = [];
for (const task of buildTasks(entities)) {
  await mkdir(join(root, 'tasks', task.name), { recursive: true });
  for (const part of ['train', 'calibration', 'test']) {
    await writeFileAtomic(
      join(root, 'tasks', task.name, `${part}.jsonl`),
      `${task[part].map((r) => JSON.stringify(r)).join('\n')}\n`,
    );
  }
  summary.push({
    task: task.name,
    kind: task.kind,
    train: task.train.length,
    calibration: task.calibration.length,
    test: task.test.length,
  });
}
console.log(`corpus: ${corpus.length} documents`);
console.table(summary);

#!/usr/bin/env node
import { mkdir, rename, writeFile } from 'node:fs/promises';
// The replication table of the embedded default: for every task, the base model, each PEFT method
// after a 1-epoch warm-start on the train split, and each with SVDecode (mu_bar from the
// calibration split only). The test split is read only for the final evaluation.
// Run after `pnpm build`: node scripts/replicate.mjs [--tasks a,b] [--methods lora,ia3]
// Writes results/replication.json and results/replication.md (atomically).
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadTiny, runExperiment, TASKS, TINY_LEARNING_RATES } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: TASKS.join(',') },
    methods: { type: 'string', default: 'lora,ia3,prompt-tuning,p-tuning-v2' },
  },
});
const tasks = values.tasks.split(',');
const methods = values.methods.split(',');
const outDir = fileURLToPath(new URL('../results/', import.meta.url));

const { model, tokenizer } = await loadTiny();
const started = Date.now();
const rows = [];
for (const task of tasks) {
  let base;
  for (const method of methods) {
    let last = 0;
    const r = await runExperiment({
      task,
      method,
      model,
      tokenizer,
      evaluateBase: base === undefined,
      onProgress: (e) => {
        const now = Date.now();
        if (e.phase === 'evaluate' || now - last > 15_000) {
          last = now;
          const detail =
            e.phase === 'evaluate' ? e.variant : `${e.step ?? e.rows}/${e.totalSteps ?? e.totalRows}`;
          console.error(`[${((now - started) / 1000).toFixed(0)} s] ${task} ${method} ${e.phase} ${detail}`);
        }
      },
    });
    base ??= r.base;
    const metrics = (m) => ({ accuracy: m.accuracy, likelihoodAccuracy: m.likelihoodAccuracy ?? null });
    rows.push({
      task,
      method,
      muBar: r.muBar,
      aggregates: {
        optimal: r.calibration.optimal,
        mean: r.calibration.mean,
        median: r.calibration.median,
        trimmedMean: r.calibration.trimmedMean,
        pooled: r.calibration.pooled,
      },
      calibrationTokens: r.calibration.count,
      warmStart: r.warmStart,
      base: metrics(base),
      peft: metrics(r.peft),
      svdecode: metrics(r.svdecode),
      seconds: r.seconds,
    });
    console.error(
      `${task} ${method}: base ${base.accuracy.toFixed(3)} peft ${r.peft.accuracy.toFixed(3)} svdecode ${r.svdecode.accuracy.toFixed(3)} (mu_bar ${r.muBar.toPrecision(4)})`,
    );
  }
}
model.dispose();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const averages = methods.map((method) => {
  const mine = rows.filter((r) => r.method === method);
  return {
    method,
    base: mean(mine.map((r) => r.base.accuracy)),
    peft: mean(mine.map((r) => r.peft.accuracy)),
    svdecode: mean(mine.map((r) => r.svdecode.accuracy)),
  };
});
const result = {
  description:
    'Embedded default (@svdecode/tiny): greedy-generation accuracy on each test split (template answer or normalised exact match) and multiple-choice likelihood accuracy',
  settings: {
    warmStart: { epochs: 1, batchSize: 1, learningRates: TINY_LEARNING_RATES, seed: 0 },
    steering: { aggregate: 'optimal', alpha: 0.1, lambda: '-Infinity' },
    decoding: 'greedy',
  },
  machine: `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, Node ${process.version}`,
  seconds: (Date.now() - started) / 1000,
  rows,
  averages,
};

const pct = (x) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}`);
const lines = [
  '| task | method | base | PEFT | PEFT + SVDecode | mu_bar (optimal) | mu_bar (paper mean) | likelihood acc. base / PEFT / +SVDecode |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.task} | ${r.method} | ${pct(r.base.accuracy)} | ${pct(r.peft.accuracy)} | ${pct(r.svdecode.accuracy)} | ${r.muBar.toPrecision(3)} | ${r.aggregates.mean.toPrecision(3)} | ${r.base.likelihoodAccuracy === null ? '–' : `${pct(r.base.likelihoodAccuracy)} / ${pct(r.peft.likelihoodAccuracy)} / ${pct(r.svdecode.likelihoodAccuracy)}`} |`,
  ),
  '',
  '| method | average base | average PEFT | average PEFT + SVDecode |',
  '| --- | --- | --- | --- |',
  ...averages.map((a) => `| ${a.method} | ${pct(a.base)} | ${pct(a.peft)} | ${pct(a.svdecode)} |`),
  '',
];

async function atomicWrite(path, text) {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, path);
}
await mkdir(outDir, { recursive: true });
await atomicWrite(`${outDir}replication.json`, `${JSON.stringify(result, null, 2)}\n`);
await atomicWrite(`${outDir}replication.md`, lines.join('\n'));
console.error(`done in ${result.seconds.toFixed(0)} s: results/replication.json, results/replication.md`);

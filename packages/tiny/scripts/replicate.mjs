#!/usr/bin/env node
// The replication table of the embedded default: for every task, the base model, each PEFT method
// after a one-epoch warm-start on the train split, and each with SVDecode (mu_bar from the
// calibration split only, the strength guard on), over several seeds (adapter initialisation and
// data order). The test split is read only for the final evaluation. Per cell: mean and spread over
// seeds, and the PEFT + SVDecode - PEFT difference with a paired bootstrap 95 % interval over test
// items (each item's correctness averaged over seeds, items resampled).
// Run after `pnpm build`: node scripts/replicate.mjs [--tasks a,b] [--methods lora,ia3] [--seeds 0,1,2] [--jobs 2]
// (runs are shared among --jobs worker processes, one per core by default: tfjs-wasm is single-threaded).
// Writes results/replication.json and results/replication.md (atomically).
import { execFileSync, fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pairedBootstrap } from '@svdecode/eval';
import { writeFileAtomic } from '@svdecode/hf-io';
import { loadTiny, runExperiment, TASKS, TINY_LEARNING_RATES } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: TASKS.join(',') },
    methods: { type: 'string', default: 'lora,ia3,prompt-tuning,p-tuning-v2' },
    seeds: { type: 'string', default: '0,1,2' },
    resamples: { type: 'string', default: '10000' },
    // tfjs-wasm runs one thread per process: one worker per core
    jobs: { type: 'string', default: String(Math.max(1, Math.min(2, cpus().length))) },
    worker: { type: 'boolean', default: false },
  },
});

/** What a run sends back: accuracies and per-item correctness (the bootstrap needs no more). */
const slim = (metrics) =>
  metrics && {
    accuracy: metrics.accuracy,
    likelihoodAccuracy: metrics.likelihoodAccuracy,
    rows: metrics.rows.map((r) => ({ isCorrect: r.isCorrect })),
  };

if (values.worker) {
  // a worker: loads the model once, runs the jobs it is sent, one at a time
  const { model, tokenizer } = await loadTiny();
  process.on('message', async (job) => {
    if (job === 'stop') {
      model.dispose();
      process.exit(0);
    }
    const r = await runExperiment({ ...job, model, tokenizer });
    process.send({
      key: job.key,
      base: slim(r.base),
      peft: slim(r.peft),
      svdecode: slim(r.svdecode),
      muBar: r.muBar,
      decision: r.decision,
      seconds: r.seconds,
    });
  });
  process.send('ready');
  await new Promise(() => {});
}

const tasks = values.tasks.split(',');
const methods = values.methods.split(',');
const seeds = values.seeds.split(',').map(Number);
const outDir = fileURLToPath(new URL('../results/', import.meta.url));

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

// every (task, method, seed) run, the base model evaluated once per task (by its task's first run)
const jobs = [];
for (const task of tasks)
  for (const method of methods)
    for (const seed of seeds)
      jobs.push({
        key: `${task}/${method}/${seed}`,
        task,
        method,
        seed,
        evaluateBase: jobs.every((j) => j.task !== task),
      });

const started = Date.now();
const results = new Map();
await new Promise((resolveAll, rejectAll) => {
  let next = 0;
  const workers = Array.from({ length: Math.min(Number(values.jobs), jobs.length) }, () =>
    fork(fileURLToPath(import.meta.url), ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const dispatch = (worker) => {
    if (next < jobs.length) worker.send(jobs[next++]);
    else worker.send('stop');
  };
  for (const worker of workers) {
    worker.on('message', (message) => {
      if (message !== 'ready') {
        results.set(message.key, message);
        const [task, method, seed] = message.key.split('/');
        const base = results.get(jobs.find((j) => j.task === task && j.evaluateBase).key)?.base;
        console.error(
          `[${((Date.now() - started) / 1000).toFixed(0)} s] ${results.size}/${jobs.length} ${task} ${method} seed ${seed}: ${base ? `base ${base.accuracy.toFixed(3)} ` : ''}peft ${message.peft.accuracy.toFixed(3)} svdecode ${message.svdecode.accuracy.toFixed(3)} (mu ${message.muBar.toPrecision(3)}, ${message.seconds.toFixed(0)} s)`,
        );
        if (results.size === jobs.length) resolveAll();
      }
      dispatch(worker);
    });
    worker.on('exit', (code) => {
      if (code !== 0) rejectAll(new Error(`a replication worker exited with ${code}`));
    });
  }
});

const cells = [];
const bases = {};
for (const job of jobs) if (job.evaluateBase) bases[job.task] = results.get(job.key).base;
for (const task of tasks) {
  for (const method of methods) {
    const runs = seeds.map((seed) => results.get(`${task}/${method}/${seed}`));
    const items = runs[0].peft.rows.length;
    const differences = Array.from({ length: items }, (_, i) =>
      mean(runs.map((r) => Number(r.svdecode.rows[i].isCorrect) - Number(r.peft.rows[i].isCorrect))),
    );
    const accuracy = (variant) => runs.map((r) => r[variant].accuracy);
    const likelihood = (variant) =>
      runs[0][variant].likelihoodAccuracy === undefined
        ? null
        : mean(runs.map((r) => r[variant].likelihoodAccuracy));
    cells.push({
      task,
      method,
      seeds,
      testItems: items,
      base: { accuracy: bases[task].accuracy, likelihoodAccuracy: bases[task].likelihoodAccuracy ?? null },
      peft: {
        mean: mean(accuracy('peft')),
        sd: sd(accuracy('peft')),
        perSeed: accuracy('peft'),
        likelihoodAccuracy: likelihood('peft'),
      },
      svdecode: {
        mean: mean(accuracy('svdecode')),
        sd: sd(accuracy('svdecode')),
        perSeed: accuracy('svdecode'),
        likelihoodAccuracy: likelihood('svdecode'),
      },
      difference: (({ mean: m, interval }) => ({ mean: m, ci95: interval }))(
        pairedBootstrap(differences, { resamples: Number(values.resamples), seed: 1234 }),
      ),
      decisions: runs.map((r, k) => ({
        seed: seeds[k],
        mu: r.muBar,
        raw: r.decision.raw,
        shrink: r.decision.shrink,
        reason: r.decision.reason,
      })),
      secondsPerRun: mean(runs.map((r) => r.seconds)),
    });
  }
}
const averages = methods.map((method) => {
  const mine = cells.filter((c) => c.method === method);
  return {
    method,
    base: mean(mine.map((c) => c.base.accuracy)),
    peft: mean(mine.map((c) => c.peft.mean)),
    svdecode: mean(mine.map((c) => c.svdecode.mean)),
  };
});
const result = {
  description:
    'Embedded default (@svdecode/tiny): greedy-generation accuracy on each test split (template answer or normalised exact match), mean and spread over seeds, PEFT + SVDecode - PEFT with a paired bootstrap 95 % interval over test items',
  settings: {
    warmStart: { epochs: 1, batchSize: 1, learningRates: TINY_LEARNING_RATES },
    seeds,
    steering: { aggregate: 'optimal', guard: true, alpha: 0.1, lambda: '-Infinity' },
    decoding: 'greedy',
    bootstrap: { resamples: Number(values.resamples), seed: 1234 },
  },
  machine: `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, Node ${process.version}`,
  seconds: (Date.now() - started) / 1000,
  cells,
  averages,
};

const pct = (x) => (x === null || x === undefined ? '–' : (100 * x).toFixed(1));
const signed = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const lines = [
  '| task | method | base | PEFT (mean ± sd) | PEFT + SVDecode (mean ± sd) | difference [95 % CI] | mu_bar per seed (guarded) | s / run |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...cells.map(
    (c) =>
      `| ${c.task} | ${c.method} | ${pct(c.base.accuracy)} | ${pct(c.peft.mean)} ± ${pct(c.peft.sd)} | ${pct(c.svdecode.mean)} ± ${pct(c.svdecode.sd)} | ${signed(c.difference.mean)} [${signed(c.difference.ci95[0])}, ${signed(c.difference.ci95[1])}] | ${c.decisions.map((d) => d.mu.toPrecision(2)).join(' / ')} | ${c.secondsPerRun.toFixed(0)} |`,
  ),
  '',
  '| method | average base | average PEFT | average PEFT + SVDecode |',
  '| --- | --- | --- | --- |',
  ...averages.map((a) => `| ${a.method} | ${pct(a.base)} | ${pct(a.peft)} | ${pct(a.svdecode)} |`),
  '',
];

await mkdir(outDir, { recursive: true });
await writeFileAtomic(`${outDir}replication.json`, `${JSON.stringify(result, null, 2)}\n`);
await writeFileAtomic(`${outDir}replication.md`, lines.join('\n'));
// the table as the repository's formatter writes it (lint checks the committed file)
execFileSync(
  process.execPath,
  [
    fileURLToPath(new URL('../../../node_modules/@biomejs/biome/bin/biome', import.meta.url)),
    'format',
    '--write',
    `${outDir}replication.md`,
  ],
  { stdio: 'ignore' },
);
console.error(`done in ${result.seconds.toFixed(0)} s: results/replication.json, results/replication.md`);

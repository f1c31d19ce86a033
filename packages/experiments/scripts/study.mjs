#!/usr/bin/env node
// The study "where steering helps": for every task, PEFT method, warm-start budget and seed, a fresh
// adapter is warm-started, calibrated (calibration split only), and the test split is decoded once
// for the oracle grid of strengths and for every estimator (packages/tiny/src/study/). Resumable:
// each finished run is stored in results/study/runs/<key>.json; a rerun skips them and rebuilds the
// tables and figures from whatever is stored. One worker per core (tfjs-wasm is single-threaded).
//
//   node scripts/study.mjs [--tasks a,b] [--methods lora,ia3] [--budgets paper,d/3] [--seeds 0,1,2]
//                          [--jobs 2] [--max-minutes 60] [--report-only] [--out results/study]
//
// Run after `pnpm build`. --max-minutes stops handing out runs after that long (a part that fits
// one sitting); the runs in flight finish and are stored.
import { execFileSync, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@svdecode/hf-io';
import { DEMO_TASK, loadTiny, TASKS, TINY_DEMO_REGIME_FILE } from '@svdecode/tiny';
import { evaluateStudyBase, runStudyRun, studyPlan, writeStudyReport } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const DEFAULT_OUT = fileURLToPath(new URL('../../tiny/results/study/', import.meta.url));
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: TASKS.join(',') },
    methods: { type: 'string', default: 'lora,ia3,prompt-tuning,p-tuning-v2' },
    budgets: { type: 'string' },
    seeds: { type: 'string', default: '0,1,2' },
    jobs: { type: 'string', default: String(Math.max(1, Math.min(2, cpus().length))) },
    'max-minutes': { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    out: { type: 'string', default: DEFAULT_OUT },
    worker: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    `${(await readFile(fileURLToPath(import.meta.url), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('//'))
      .map((l) => l.slice(3))
      .join('\n')}\n`,
  );
  process.exit(0);
}
const runsDir = join(values.out, 'runs');

if (values.worker) {
  // a worker: loads the model once, runs the jobs it is sent, one at a time
  const { model, tokenizer } = await loadTiny();
  process.on('message', async (job) => {
    if (job === 'stop') {
      model.dispose();
      process.exit(0);
    }
    try {
      const record =
        job.kind === 'base'
          ? await evaluateStudyBase(job.task, model, tokenizer)
          : await runStudyRun({ spec: job.spec, model, tokenizer });
      await writeFileAtomic(join(runsDir, `${job.key}.json`), `${JSON.stringify(record)}\n`);
      process.send({ key: job.key, ok: true, seconds: record.seconds?.total });
    } catch (error) {
      process.send({ key: job.key, ok: false, error: String(error?.stack ?? error) });
    }
  });
  process.send('ready');
  await new Promise(() => {});
}

const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const plan = studyPlan({
  tasks: list(values.tasks),
  methods: list(values.methods),
  seeds: list(values.seeds).map(Number),
  budgets: values.budgets ? list(values.budgets) : undefined,
});
await mkdir(runsDir, { recursive: true });
const done = new Set((await readdir(runsDir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)));
const jobs = [
  ...[...new Set(plan.map((r) => r.task))].map((task) => ({ kind: 'base', key: `base.${task}`, task })),
  ...plan.map((spec) => ({ kind: 'run', key: spec.key, spec })),
].filter((j) => !done.has(j.key));

const format = (s) =>
  s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(0)} min` : `${s.toFixed(0)} s`;
if (!values['report-only'] && jobs.length > 0) {
  const workerCount = Math.min(Number(values.jobs), jobs.length);
  console.error(
    `study: ${plan.length} runs planned, ${plan.length + new Set(plan.map((r) => r.task)).size - jobs.length} stored, ${jobs.length} to run on ${workerCount} workers`,
  );
  const started = Date.now();
  const deadline = values['max-minutes']
    ? started + Number(values['max-minutes']) * 60_000
    : Number.POSITIVE_INFINITY;
  let next = 0;
  let finished = 0;
  let failed = 0;
  let runSeconds = 0;
  let runsTimed = 0;
  await new Promise((resolveAll) => {
    let alive = workerCount;
    const workers = Array.from({ length: workerCount }, () =>
      fork(fileURLToPath(import.meta.url), ['--worker', '--out', values.out], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const dispatch = (worker) => {
      if (next < jobs.length && Date.now() < deadline) worker.send(jobs[next++]);
      else worker.send('stop');
    };
    for (const worker of workers) {
      worker.on('message', (message) => {
        if (message !== 'ready') {
          finished++;
          if (!message.ok) {
            failed++;
            console.error(`study: ${message.key} failed:\n${message.error}`);
          } else if (message.seconds) {
            runSeconds += message.seconds;
            runsTimed++;
          }
          const elapsed = (Date.now() - started) / 1000;
          const perRun = runsTimed > 0 ? runSeconds / runsTimed : elapsed / finished;
          const eta = ((jobs.length - finished) * perRun) / workerCount;
          console.error(
            `[${format(elapsed)}] ${finished}/${jobs.length} ${message.key}${message.ok ? ` (${format(message.seconds ?? 0)})` : ' FAILED'}, ETA ${format(eta)}`,
          );
        }
        dispatch(worker);
      });
      worker.on('exit', () => {
        if (--alive === 0) resolveAll();
      });
    }
  });
  console.error(
    `study: ${finished} runs in ${format((Date.now() - started) / 1000)}${failed ? `, ${failed} failed` : ''}`,
  );
}

// the report, from every stored run (a partial study reports what it has)
const records = [];
const bases = {};
for (const file of (await readdir(runsDir)).filter((f) => f.endsWith('.json')).sort()) {
  const record = JSON.parse(await readFile(join(runsDir, file), 'utf8'));
  if (file.startsWith('base.')) bases[record.task] = record;
  else records.push(record);
}
if (records.length === 0) {
  console.error('study: no stored runs to report');
  process.exit(existsSync(runsDir) ? 0 : 1);
}
// the committed study (the default output) also decides the demo's regime (DECISIONS.md rule 16)
const demoRegimeFile = values.out === DEFAULT_OUT ? TINY_DEMO_REGIME_FILE : undefined;
const written = await writeStudyReport(records, bases, values.out, {
  fallbackDemoTask: DEMO_TASK,
  demoRegimeFile,
});
if (demoRegimeFile) written.push(demoRegimeFile);
// the tables as the repository's formatter writes them (lint checks the committed file)
execFileSync(
  process.execPath,
  [
    fileURLToPath(new URL('../../../node_modules/@biomejs/biome/bin/biome', import.meta.url)),
    'format',
    '--write',
    join(values.out, 'study.md'),
  ],
  { stdio: 'ignore' },
);
console.error(`study: report of ${records.length} runs: ${written.join(', ')}`);

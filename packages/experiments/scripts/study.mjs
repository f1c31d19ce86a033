#!/usr/bin/env node
// The study "where steering helps": for every task, PEFT method, warm-start budget and seed, a fresh
// adapter is warm-started, calibrated (calibration split only), and the test split is decoded once
// for the oracle grid of strengths and for every estimator (packages/experiments/src/study/).
// Resumable: each finished run is stored in <out>/runs/<key>.json; a rerun skips them and rebuilds
// the tables and figures from whatever is stored.
//
//   node scripts/study.mjs [--tasks a,b] [--methods lora,ia3] [--budgets paper,d/3] [--seeds 0,1,2]
//                          [--rows N] [--jobs 2] [--max-minutes 60] [--report-only] [--out results/study]
//                          [--queue redis://host:port[/db] [--queue-name svdecode-study] [--attempts 2]]
//
// Run after `pnpm build`. Locally, --jobs worker processes (one per core: tfjs-wasm is single-threaded);
// --max-minutes stops handing out runs after that long (runs in flight finish and are stored).
// With --queue the runs go to BullMQ on that Redis and `svdecode worker --queue <same URL>` processes
// on any machine run them; results land in the same store, so the report is the same. --rows N keeps
// the first N rows of every split (a small study; its runs are stored under keys ending in .nN).
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isSvdecodeError } from '@svdecode/core';
import { DEMO_TASK, TASKS, TINY_DEMO_REGIME_FILE } from '@svdecode/tiny';
import { formatStudyEvent, reportStudy, runStudy } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const DEFAULT_OUT = fileURLToPath(new URL('../../tiny/results/study/', import.meta.url));
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: TASKS.join(',') },
    methods: { type: 'string', default: 'lora,ia3,prompt-tuning,p-tuning-v2' },
    budgets: { type: 'string' },
    seeds: { type: 'string', default: '0,1,2' },
    rows: { type: 'string' },
    jobs: { type: 'string', default: String(Math.max(1, Math.min(2, cpus().length))) },
    'max-minutes': { type: 'string' },
    queue: { type: 'string' },
    'queue-name': { type: 'string' },
    attempts: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    out: { type: 'string', default: DEFAULT_OUT },
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
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

let failed = 0;
try {
  if (!values['report-only']) {
    const summary = await runStudy({
      tasks: list(values.tasks),
      methods: list(values.methods),
      seeds: list(values.seeds).map(Number),
      ...(values.budgets ? { budgets: list(values.budgets) } : {}),
      ...(values.rows ? { rows: Number(values.rows) } : {}),
      out: values.out,
      workers: Number(values.jobs),
      ...(values['max-minutes'] ? { maxMinutes: Number(values['max-minutes']) } : {}),
      ...(values.queue ? { queue: values.queue } : {}),
      ...(values['queue-name'] ? { queueName: values['queue-name'] } : {}),
      ...(values.attempts ? { attempts: Number(values.attempts) } : {}),
      onEvent: (event) => {
        const line = formatStudyEvent(event);
        if (line) console.error(line);
      },
    });
    failed = summary.failures.length;
    console.error(
      `study: ${summary.planned} jobs in ${Math.round(summary.seconds)} s${failed ? `, ${failed} failed:` : ''}`,
    );
    for (const f of summary.failures) console.error(`  ${f.key} (${f.attempts} attempt(s)): ${f.error}`);
  }

  // the report, from every stored run (a partial study reports what it has); the committed study
  // (the default output) also decides the demo's regime (DECISIONS.md rule 16)
  const demoRegimeFile = values.out === DEFAULT_OUT ? TINY_DEMO_REGIME_FILE : undefined;
  const report = await reportStudy(values.out, { fallbackDemoTask: DEMO_TASK, demoRegimeFile });
  if (!report) {
    console.error('study: no stored runs to report');
    process.exit(failed ? 1 : 0);
  }
  if (demoRegimeFile) report.files.push(demoRegimeFile);
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
  console.error(`study: report of ${report.runs} runs: ${report.files.join(', ')}`);
  process.exit(failed ? 1 : 0);
} catch (error) {
  console.error(isSvdecodeError(error) ? error.format() : error);
  process.exit(isSvdecodeError(error) && error.kind === 'environment' ? 69 : 1);
}

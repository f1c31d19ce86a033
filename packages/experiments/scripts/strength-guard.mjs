#!/usr/bin/env node
// The held-out check of the strength guard on the embedded default: for every task and PEFT method,
// warm-start one epoch on the train split and calibrate on the calibration split (the test split is
// never read), then report, from the 5-fold cross-validation over calibration rows, each aggregate's
// held-out change in steered cross-entropy against mu = 0 and the guarded rule's (nested).
// Run after `pnpm build`: node scripts/strength-guard.mjs [--tasks a,b] [--methods lora,ia3]
// Writes results/strength-guard.json and results/strength-guard.md (atomically).
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@svdecode/hf-io';
import { loadTiny, TASKS } from '@svdecode/tiny';
import { calibrateTask } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: TASKS.join(',') },
    methods: { type: 'string', default: 'lora,ia3,prompt-tuning,p-tuning-v2' },
  },
});
const outDir = fileURLToPath(new URL('../../tiny/results/', import.meta.url));
const { model, tokenizer } = await loadTiny();
const started = Date.now();
const rows = [];
for (const task of values.tasks.split(',')) {
  for (const method of values.methods.split(',')) {
    const r = await calibrateTask({ task, method, model, tokenizer });
    const s = r.calibration;
    const cv = s.crossValidation;
    rows.push({
      task,
      method,
      decision: s.decision,
      optimal: s.optimal,
      mean: s.mean,
      tokens: s.count,
      coverage: s.coverage,
      folds: cv.folds,
      rows: cv.rows,
      steerableTokens: cv.steerableTokens,
      heldOut: { ...cv.aggregates, guarded: cv.guarded },
      seconds: r.seconds,
    });
    const g = cv.guarded;
    console.error(
      `[${((Date.now() - started) / 1000).toFixed(0)} s] ${task} ${method}: optimal ${s.optimal.toPrecision(4)} -> mu ${s.decision.mu.toPrecision(4)}; guarded held-out ${g.lossChange.toExponential(2)} ± ${g.lossChangeSE.toExponential(2)}`,
    );
  }
}
model.dispose();

const e = (x) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const cell = (h) => `${e(h.lossChange)} ± ${e(h.lossChangeSE)}`;
const lines = [
  '| task | method | steerable / tokens | target outside | optimal (fitted) | paper mean | decision mu | optimal held-out | paper mean held-out | guarded held-out | guarded within 1 SE of mu = 0 |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.task} | ${r.method} | ${r.steerableTokens} / ${r.tokens} | ${(100 * r.coverage.targetOutside).toFixed(0)} % | ${r.optimal.toPrecision(3)} | ${r.mean.toPrecision(3)} | ${r.decision.mu.toPrecision(3)} (x${r.decision.shrink.toFixed(2)}) | ${cell(r.heldOut.optimal)} | ${cell(r.heldOut.mean)} | ${cell(r.heldOut.guarded)} | ${r.heldOut.guarded.lossChange <= r.heldOut.guarded.lossChangeSE ? 'yes' : 'no'} |`,
  ),
  '',
  'Held-out change of the steered cross-entropy against mu = 0, nats per steerable token (negative = better), ± one standard error over calibration rows; 5-fold cross-validation, the guarded rule rerun inside each fold.',
  '',
];
const result = {
  description:
    'Strength guard on the embedded default: held-out (cross-validated over calibration rows) change of the steered cross-entropy against mu = 0, per aggregate and for the guarded rule',
  machine: `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, Node ${process.version}`,
  seconds: (Date.now() - started) / 1000,
  rows,
};
await mkdir(outDir, { recursive: true });
await writeFileAtomic(`${outDir}strength-guard.json`, `${JSON.stringify(result, null, 2)}\n`);
await writeFileAtomic(`${outDir}strength-guard.md`, lines.join('\n'));
// the table as the repository's formatter writes it (lint checks the committed file)
execFileSync(
  process.execPath,
  [
    fileURLToPath(new URL('../../../node_modules/@biomejs/biome/bin/biome', import.meta.url)),
    'format',
    '--write',
    `${outDir}strength-guard.md`,
  ],
  { stdio: 'ignore' },
);
console.error(`done in ${result.seconds.toFixed(0)} s: results/strength-guard.{json,md}`);

#!/usr/bin/env node
// Rebuilds demo/lora and demo/steering.json, the adapter and steering file `svdecode serve` uses by
// default: the same run as `svdecode demo` in the study's demo regime (demo/regime.json, written by
// scripts/study.mjs: LoRA on the regime task's train split at the regime budget, seed 0; mu_bar by
// the guarded optimum on the calibration split), through the CLI itself. Without a regime file:
// DEMO_TASK, lr 1e-3, one epoch.
// Run after `pnpm build` (and the study): node scripts/build-demo.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_TASK, loadDemoRegime } from '@svdecode/tiny';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here('../../../apps/cli/dist/main.js');
const regime = await loadDemoRegime();
if (regime && regime.estimator !== 'guarded')
  throw new Error(`the regime's estimator is ${regime.estimator}: calibrate writes the guarded optimum only`);
const task = regime?.task ?? DEMO_TASK;
const tasks = here(`../../tiny/data/tasks/${task}/`);
const demo = here('../../tiny/demo/');
const run = (...args) => execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit' });

run(
  'warmstart',
  '--model',
  'tiny',
  '--data',
  `${tasks}train.jsonl`,
  '--method',
  'lora',
  '--lr',
  String(regime?.learningRate ?? 1e-3),
  '--epochs',
  String(regime?.epochs ?? 1),
  '--out',
  `${demo}lora`,
);
// the adapter's base_model_name_or_path: a name, not this machine's path (before calibrating: the
// adapter fingerprint covers this file)
const config = `${demo}lora/adapter_config.json`;
writeFileSync(
  config,
  `${JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), base_model_name_or_path: '@svdecode/tiny' }, null, 2)}\n`,
);
run(
  'calibrate',
  '--model',
  'tiny',
  '--adapter',
  `${demo}lora`,
  '--data',
  `${tasks}calibration.jsonl`,
  '--out',
  `${demo}steering.json`,
);
// machine-independent paths in the committed file (the fingerprints are what generate and serve check)
const file = `${demo}steering.json`;
const steering = JSON.parse(readFileSync(file, 'utf8'));
steering.base.path = 'tiny';
steering.adapter.path = 'demo/lora';
steering.calibration.data = `data/tasks/${task}/calibration.jsonl`;
writeFileSync(file, `${JSON.stringify(steering, null, 2)}\n`);

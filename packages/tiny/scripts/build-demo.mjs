#!/usr/bin/env node
// Rebuilds demo/lora and demo/steering.json, the adapter and steering file `svdecode serve` uses by
// default: the same run as `svdecode demo` (LoRA, one epoch on the DEMO_TASK train split, lr 1e-3,
// seed 0, mu_bar by the optimal aggregate on the calibration split), through the CLI itself.
// Run after `pnpm build`: node scripts/build-demo.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_TASK } from '../dist/index.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here('../../../apps/cli/dist/main.js');
const tasks = here(`../data/tasks/${DEMO_TASK}/`);
const demo = here('../demo/');
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
  '1e-3',
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
steering.calibration.data = `data/tasks/${DEMO_TASK}/calibration.jsonl`;
writeFileSync(file, `${JSON.stringify(steering, null, 2)}\n`);

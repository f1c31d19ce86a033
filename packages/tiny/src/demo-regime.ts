import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEMO_TASK, type TaskName, taskFile } from './embedded.js';

/**
 * Where `svdecode demo` shows the method: the task and warm-start budget chosen on calibration data
 * by DECISIONS.md rule 16 from the study, with the study's own numbers for that cell (3 seeds) and
 * the converged adapter for reference. Written by scripts/study.mjs from the study's results.
 */
export interface DemoRegime {
  task: TaskName;
  method: 'lora';
  budget: string;
  learningRate: number;
  epochs: number;
  /** The strength estimator the study's rule 15 made the default (an `EstimatorName` of @svdecode/experiments). */
  estimator: string;
  /** false: the study found no regime where steering helps on calibration data (then `task` is DEMO_TASK at budget d). */
  found: boolean;
  reason: string;
  calibrationGain: number;
  /** The study's test-split numbers for this cell, mean of seeds (greedy accuracy). */
  study: {
    peft: number;
    steered: number;
    difference: { mean: number; ci95: [number, number] };
    seeds: number;
  };
  /** The converged adapter (budget dx3) on the same task, from the study. */
  converged: { budget: string; learningRate: number; epochs: number; accuracy: number; sd: number } | null;
  /** One sentence: what the study found. */
  verdict: string;
}

export const TINY_DEMO_REGIME_FILE = fileURLToPath(new URL('../demo/regime.json', import.meta.url));

/** The committed demo regime, or null when the study has not written one. */
export async function loadDemoRegime(file = TINY_DEMO_REGIME_FILE): Promise<DemoRegime | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DemoRegime;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * What the demo page opens with on the embedded model: the demo regime's task (else DEMO_TASK),
 * its first calibration question in the task's own format (never a test question), and a line on
 * the regime the study chose.
 */
export async function demoPageDefaults(
  regime: DemoRegime | null,
): Promise<{ task: TaskName; prompt: string; note: string }> {
  const task = regime?.task ?? DEMO_TASK;
  const first = (await readFile(taskFile(task, 'calibration'), 'utf8')).split('\n')[0]!;
  const prompt = (JSON.parse(first) as { prompt: string }).prompt;
  const note = regime
    ? regime.found
      ? `Demo regime (chosen on calibration data): ${task}, LoRA at warm-start budget ${regime.budget}. ${regime.verdict}`
      : `The study found no regime where steering helps on calibration data; showing ${task} at the default budget. ${regime.verdict}`
    : `Demo task ${task}.`;
  return { task, prompt, note };
}

import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import type { Tokenizer } from '@svdecode/core';
import type { TaskName } from '@svdecode/tiny';
import type { StudyRunSpec } from './plan.js';
import { evaluateStudyBase, runStudyRun } from './run.js';

/**
 * One unit of a study's work: the base model on a task's test split, or one run. Everything a
 * worker needs except the model and the data files (which it finds by fingerprint) is in here, so
 * a job can travel over a queue as JSON.
 */
export type StudyJob =
  | { kind: 'base'; key: string; task: TaskName; rows?: number }
  | { kind: 'run'; key: string; spec: StudyRunSpec };

/** A base job per task of the plan (first), then a job per run, in the plan's order. */
export function studyJobs(plan: readonly StudyRunSpec[]): StudyJob[] {
  const bases = new Map<string, StudyJob>();
  for (const spec of plan) {
    const key = `base.${spec.task}${spec.rows === undefined ? '' : `.n${spec.rows}`}`;
    if (!bases.has(key))
      bases.set(key, {
        kind: 'base',
        key,
        task: spec.task,
        ...(spec.rows === undefined ? {} : { rows: spec.rows }),
      });
  }
  return [...bases.values(), ...plan.map((spec) => ({ kind: 'run' as const, key: spec.key, spec }))];
}

export const jobTask = (job: StudyJob): TaskName => (job.kind === 'base' ? job.task : job.spec.task);

/** Runs one job on a loaded embedded model; the result is the record the store keeps. */
export async function executeStudyJob(
  job: StudyJob,
  model: TfjsCausalLM,
  tokenizer: Tokenizer,
  onPhase?: (phase: string) => void,
): Promise<object> {
  return job.kind === 'base'
    ? evaluateStudyBase(job.task, model, tokenizer, job.rows)
    : runStudyRun({ spec: job.spec, model, tokenizer, ...(onPhase ? { onPhase } : {}) });
}

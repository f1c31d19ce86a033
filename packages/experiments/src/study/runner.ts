import { cpus } from 'node:os';
import { studyJobs } from './jobs.js';
import { runLocally } from './local.js';
import { type PlanOptions, studyPlan } from './plan.js';
import type { StudyEvent, StudyFailure } from './progress.js';
import { runQueued } from './queue.js';
import { writeStudyReport } from './report.js';
import { StudyStore } from './store.js';

export interface StudyOptions extends PlanOptions {
  /** The study's directory: runs/ (the resumable store), then the report. */
  out: string;
  /** Local mode: worker processes (default: one per core, at most 2). */
  workers?: number;
  /** Local mode: stop handing out runs after this many minutes (runs in flight finish and are stored). */
  maxMinutes?: number;
  /** Queue mode: redis://host:port[/db]; the runs go to `svdecode worker` processes anywhere. */
  queue?: string;
  queueName?: string;
  /** Queue mode: attempts per run before it counts as failed (default 2). */
  attempts?: number;
  onEvent?: (event: StudyEvent) => void;
  /** Local mode: no more runs are handed out (those in flight are stored); queue mode: the coordinator stops waiting (ABORTED). */
  signal?: AbortSignal;
}

export interface StudySummary {
  /** Jobs in the plan (one per run, plus the base model once per task). */
  planned: number;
  /** Jobs that failed for good, with their errors. */
  failures: StudyFailure[];
  seconds: number;
}

/**
 * Runs every job of the study that the store lacks, on local worker processes or through a queue,
 * storing each result as it lands. Both modes run the same job code and write the same store, so
 * `reportStudy` gives the same tables either way.
 */
export async function runStudy(options: StudyOptions): Promise<StudySummary> {
  const started = performance.now();
  const jobs = studyJobs(studyPlan(options));
  const store = new StudyStore(options.out);
  const { failures } = options.queue
    ? await runQueued(jobs, store, {
        url: options.queue,
        ...(options.queueName ? { name: options.queueName } : {}),
        ...(options.attempts ? { attempts: options.attempts } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })
    : await runLocally(jobs, store, {
        workers: options.workers ?? Math.max(1, Math.min(2, cpus().length)),
        ...(options.maxMinutes ? { deadline: Date.now() + options.maxMinutes * 60_000 } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
  return { planned: jobs.length, failures, seconds: (performance.now() - started) / 1000 };
}

/** The report (study.json, study.md, figures) from every stored run; null when none is stored. */
export async function reportStudy(
  out: string,
  options: { fallbackDemoTask?: string; demoRegimeFile?: string; resamples?: number } = {},
): Promise<{ runs: number; files: string[] } | null> {
  const { records, bases } = await new StudyStore(out).read();
  if (records.length === 0) return null;
  return { runs: records.length, files: await writeStudyReport(records, bases, out, options) };
}

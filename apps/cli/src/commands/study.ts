import { cpus } from 'node:os';
import { SvdecodeError } from '@svdecode/core';
import {
  DEFAULT_QUEUE_NAME,
  formatStudyEvent,
  reportStudy,
  runStudy,
  startStudyWorkers,
} from '@svdecode/experiments';
import type { CommonFlags } from '../options.js';

export interface StudyFlags extends CommonFlags {
  tasks: string[];
  methods: string[];
  budgets?: string[];
  seeds: number[];
  rows?: number;
  out: string;
  jobs?: number;
  maxMinutes?: number;
  queue?: string;
  queueName: string;
  attempts: number;
}

/**
 * `svdecode study`: the study of where steering helps, resumable in --out; local worker processes
 * by default, or BullMQ workers anywhere with --queue. Exits non-zero when a run failed for good.
 */
export async function studyCommand(flags: StudyFlags): Promise<void> {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write(
      flags.queue
        ? '\nstopping the coordinator; the queued runs go on (run the same command to pick them up)\n'
        : '\nstopping after the runs in flight\n',
    );
    controller.abort();
  });
  const summary = await runStudy({
    tasks: flags.tasks as never,
    methods: flags.methods as never,
    seeds: flags.seeds,
    ...(flags.budgets ? { budgets: flags.budgets as never } : {}),
    ...(flags.rows ? { rows: flags.rows } : {}),
    out: flags.out,
    ...(flags.jobs ? { workers: flags.jobs } : {}),
    ...(flags.maxMinutes ? { maxMinutes: flags.maxMinutes } : {}),
    ...(flags.queue ? { queue: flags.queue, queueName: flags.queueName, attempts: flags.attempts } : {}),
    onEvent: (event) => {
      const line = formatStudyEvent(event);
      if (line && !flags.quiet) process.stderr.write(`${line}\n`);
    },
    signal: controller.signal,
  });
  const report = await reportStudy(flags.out);
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, report })}\n`);
  else if (!flags.quiet)
    process.stderr.write(
      `study: ${summary.planned} jobs, ${summary.failures.length} failed, ${Math.round(summary.seconds)} s; ${report ? `report of ${report.runs} runs in ${flags.out}: ${report.files.join(', ')}` : 'no runs stored yet'}\n`,
    );
  if (summary.failures.length > 0)
    throw new SvdecodeError(
      'STUDY_RUNS_FAILED',
      `${summary.failures.length} run(s) failed:\n${summary.failures.map((f) => `  ${f.key} (${f.attempts} attempt(s)): ${f.error.split('\n')[0]}`).join('\n')}`,
      { details: { failures: summary.failures } },
    );
}

export interface WorkerFlags extends CommonFlags {
  queue: string;
  queueName: string;
  concurrency?: number;
  lockSeconds: number;
}

/** `svdecode worker`: BullMQ workers that take study runs from the queue until stopped (Ctrl-C / SIGTERM). */
export async function workerCommand(flags: WorkerFlags): Promise<void> {
  const concurrency = flags.concurrency ?? Math.max(1, cpus().length);
  const say = (line: string) => {
    if (!flags.quiet) process.stderr.write(`svdecode worker: ${line}\n`);
  };
  const workers = await startStudyWorkers({
    url: flags.queue,
    name: flags.queueName ?? DEFAULT_QUEUE_NAME,
    concurrency,
    lockSeconds: flags.lockSeconds,
    onJob: ({ key, phase, error }) => say(`${key} ${phase}${error ? `: ${error.split('\n')[0]}` : ''}`),
  });
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  try {
    await workers.ready;
  } catch (error) {
    await workers.stop();
    throw new SvdecodeError('BACKEND_FAILED', `a job runner could not start: ${(error as Error).message}`, {
      hint: 'Its own message is above; check that the embedded model loads (svdecode info).',
    });
  }
  say(`${concurrency} job runner(s) taking runs from queue "${flags.queueName}" (Ctrl-C to stop)`);
  await stopRequested;
  say('finishing the runs in flight, then stopping');
  await workers.stop();
}

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

/** `svdecode worker`: processes that take study runs from the queue until stopped (Ctrl-C / SIGTERM). */
export async function workerCommand(flags: WorkerFlags): Promise<void> {
  const concurrency = flags.concurrency ?? Math.max(1, cpus().length);
  const workers = await startStudyWorkers({
    url: flags.queue,
    name: flags.queueName ?? DEFAULT_QUEUE_NAME,
    concurrency,
    lockSeconds: flags.lockSeconds,
    stdio: flags.quiet ? 'ignore' : 'inherit',
  });
  const stop = () => {
    if (!flags.quiet) process.stderr.write('\nworkers: finishing their current runs, then stopping\n');
    workers.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if ((await workers.ready) && !flags.quiet)
    process.stderr.write(
      `svdecode worker: ${concurrency} process(es) taking runs from queue "${flags.queueName}" (Ctrl-C to stop)\n`,
    );
  const codes = await workers.exited;
  const bad = codes.filter((c) => c !== 0);
  if (bad.length > 0)
    throw new SvdecodeError('BACKEND_FAILED', `${bad.length} worker process(es) exited with an error`, {
      hint: 'Their messages are above; a process killed mid-run loses only that run (the queue puts it back).',
    });
}

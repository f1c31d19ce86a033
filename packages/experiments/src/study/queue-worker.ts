import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import { UnrecoverableError, Worker } from 'bullmq';
import { fingerprintDifferences, studyFingerprint, studyWorkerEntry } from './fingerprint.js';
import { executeStudyJob, jobTask } from './jobs.js';
import { DEFAULT_QUEUE_NAME, type QueuedStudyJob } from './queue.js';
import { checkRedis, redisOptions } from './redis.js';

export interface QueueWorkerOptions {
  /** redis://host:port[/db] */
  url: string;
  name?: string;
  /**
   * How long a job's lock lives without renewal (the worker renews it at half that while it runs):
   * a worker killed mid-run has its job put back after about this long.
   */
  lockSeconds?: number;
  /** Called with each job's key as it starts and ends (for logs). */
  onJob?: (event: { key: string; phase: 'start' | 'done' | 'failed'; error?: string }) => void;
}

/**
 * One BullMQ worker in this process, running one study job at a time on an already loaded model
 * (tfjs-wasm is single-threaded: parallelism comes from processes, see `startStudyWorkers`). A job
 * whose fingerprint differs from this machine's fails at once and is not retried.
 */
export async function startQueueWorker(
  model: TfjsCausalLM,
  tokenizer: Tokenizer,
  options: QueueWorkerOptions,
): Promise<{ close: () => Promise<void> }> {
  await checkRedis(options.url);
  const lockDuration = (options.lockSeconds ?? 30) * 1000;
  const onJob = options.onJob ?? (() => {});
  const worker = new Worker<QueuedStudyJob>(
    options.name ?? DEFAULT_QUEUE_NAME,
    async (job) => {
      const { job: study, fingerprint } = job.data;
      const here = await studyFingerprint(jobTask(study));
      const differs = fingerprintDifferences(fingerprint, here);
      if (differs.length > 0) {
        const error = new SvdecodeError(
          'STUDY_FINGERPRINT_MISMATCH',
          `${study.key}: this worker's ${differs.join(', ')} differ from the coordinator's (${differs.map((k) => `${fingerprint[k]} there, ${here[k]} here`).join('; ')})`,
        );
        onJob({ key: study.key, phase: 'failed', error: error.message });
        // no retry: another attempt here would fail the same way
        throw new UnrecoverableError(`${error.code}: ${error.message} (hint: ${error.hint})`);
      }
      onJob({ key: study.key, phase: 'start' });
      try {
        const record = await executeStudyJob(study, model, tokenizer);
        onJob({ key: study.key, phase: 'done' });
        return record;
      } catch (error) {
        onJob({ key: study.key, phase: 'failed', error: String(error) });
        throw error;
      }
    },
    {
      connection: { ...redisOptions(options.url), maxRetriesPerRequest: null },
      concurrency: 1,
      lockDuration,
      stalledInterval: lockDuration,
      // put back twice, failed the third time (a run that kills its worker would loop forever)
      maxStalledCount: 2,
    },
  );
  worker.on('error', () => {}); // connection errors: BullMQ reconnects by itself
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}

export interface StudyWorkersOptions extends QueueWorkerOptions {
  /** Worker processes (default: one per core; tfjs-wasm runs one thread each). */
  concurrency?: number;
  /** Where the processes' output goes (default: this process's). */
  stdio?: 'inherit' | 'ignore';
}

/**
 * `svdecode worker`: `concurrency` processes, each loading the embedded model once and running a
 * queue worker. Resolves when they have all exited; `stop()` asks them to finish their current job
 * and exit (SIGTERM), as Ctrl-C does.
 */
export async function startStudyWorkers(
  options: StudyWorkersOptions,
): Promise<{ pids: number[]; ready: Promise<boolean>; exited: Promise<number[]>; stop: () => void }> {
  await checkRedis(options.url);
  const count = options.concurrency ?? Math.max(1, cpus().length);
  const entry = studyWorkerEntry();
  const children = Array.from({ length: count }, () =>
    fork(
      entry,
      ['queue', options.url, options.name ?? DEFAULT_QUEUE_NAME, String(options.lockSeconds ?? 30)],
      { stdio: ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit', 'ipc'] },
    ),
  );
  const exited = Promise.all(
    children.map((child) => new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))),
  );
  // every process has loaded the model and connected (or one exited first)
  const ready = Promise.race([
    Promise.all(
      children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve()))),
    ).then(() => true),
    new Promise<boolean>((resolve) => {
      for (const child of children) child.once('exit', () => resolve(false));
    }),
  ]);
  return {
    pids: children.map((c) => c.pid!),
    ready,
    exited,
    stop: () => {
      for (const child of children) child.kill('SIGTERM');
    },
  };
}

import { cpus } from 'node:os';
import { SvdecodeError } from '@svdecode/core';
import { UnrecoverableError, Worker } from 'bullmq';
import { fingerprintDifferences, studyFingerprint } from './fingerprint.js';
import { JobRunner } from './job-runner.js';
import { jobTask } from './jobs.js';
import { DEFAULT_QUEUE_NAME, type QueuedStudyJob } from './queue.js';
import { checkRedis, redisOptions } from './redis.js';

export interface StudyWorkersOptions {
  /** redis://host:port[/db] */
  url: string;
  name?: string;
  /** Job runner processes, one BullMQ worker each (default: one per core; tfjs-wasm is single-threaded). */
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal (renewed at half that while the job runs): a worker
   * killed mid-run has its job put back after about this long.
   */
  lockSeconds?: number;
  /** Where the runner processes' output goes (default: this process's). */
  stdio?: 'inherit' | 'ignore';
  /** Called as each job starts and ends (for logs). */
  onJob?: (event: { key: string; phase: 'start' | 'done' | 'failed'; error?: string }) => void;
}

/**
 * `svdecode worker`: `concurrency` BullMQ workers in this process, each running its jobs in its own
 * job runner process (which loads the embedded model once). The jobs' CPU work stays out of this
 * process, so BullMQ renews the locks on time however long a job keeps its runner busy. A job whose
 * fingerprint differs from this machine's fails at once and is not retried. If this process is
 * killed, its runners exit too and BullMQ gives their jobs to other workers.
 */
export async function startStudyWorkers(
  options: StudyWorkersOptions,
): Promise<{ ready: Promise<void>; runnerPids: () => number[]; stop: () => Promise<void> }> {
  await checkRedis(options.url);
  const count = options.concurrency ?? Math.max(1, cpus().length);
  const lockDuration = (options.lockSeconds ?? 30) * 1000;
  const onJob = options.onJob ?? (() => {});
  const runners = Array.from({ length: count }, () => new JobRunner(options.stdio ?? 'inherit'));
  const ready = Promise.all(runners.map((r) => r.start())).then(() => {});
  const workers = runners.map(
    (runner) =>
      new Worker<QueuedStudyJob>(
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
            const record = await runner.run(study);
            onJob({ key: study.key, phase: 'done' });
            return record;
          } catch (error) {
            onJob({ key: study.key, phase: 'failed', error: String((error as Error).message) });
            throw error;
          }
        },
        {
          connection: { ...redisOptions(options.url), maxRetriesPerRequest: null },
          concurrency: 1,
          // a worker starts taking jobs once its runner has loaded the model
          autorun: false,
          lockDuration,
          stalledInterval: lockDuration,
          // put back twice, failed the third time (a run that kills its worker would loop forever)
          maxStalledCount: 2,
        },
      ),
  );
  for (const worker of workers) worker.on('error', () => {}); // connection errors: BullMQ reconnects
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  void ready.then(() => {
    for (const worker of workers) void worker.run();
  });
  return {
    ready,
    runnerPids: () => runners.map((r) => r.pid!).filter(Boolean),
    /** Finish the jobs in flight, then close the workers and their runners. */
    stop: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}

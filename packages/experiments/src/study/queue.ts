import { SvdecodeError } from '@svdecode/core';
import { type Job, Queue } from 'bullmq';
import { fingerprintDifferences, type StudyFingerprint, studyFingerprint } from './fingerprint.js';
import { jobTask, type StudyJob } from './jobs.js';
import {
  etaSeconds,
  recordSeconds,
  type StudyCounts,
  type StudyEvent,
  type StudyFailure,
} from './progress.js';
import { checkRedis, redactRedisUrl, redisError, redisOptions } from './redis.js';
import type { StudyStore } from './store.js';

/** The queue's default name; studies that must not share workers use their own. */
export const DEFAULT_QUEUE_NAME = 'svdecode-study';

/** What a job carries over Redis: the job and the fingerprint its result must come from. */
export interface QueuedStudyJob {
  job: StudyJob;
  fingerprint: StudyFingerprint;
}

export interface QueueOptions {
  /** redis://host:port[/db] */
  url: string;
  name?: string;
  /** Attempts per job before it counts as failed (a worker killed mid-run does not use one). */
  attempts?: number;
  /** How often the coordinator looks at its jobs. */
  pollMs?: number;
  /** How long Redis may stay unreachable mid-study before the coordinator gives up. */
  outageSeconds?: number;
  onEvent?: (event: StudyEvent) => void;
  signal?: AbortSignal;
}

type State = Awaited<ReturnType<Job['getState']>>;

/**
 * The coordinator: enqueues every job not yet in the store (job id = the run's key, so enqueueing
 * twice adds nothing), then stores each result as it completes. State lives in Redis and the
 * store only, so a coordinator stopped and started again picks up where it was: results that
 * completed meanwhile are read back from Redis, failed jobs are retried once more.
 */
export async function runQueued(
  jobs: readonly StudyJob[],
  store: StudyStore,
  options: QueueOptions,
): Promise<{ failures: StudyFailure[] }> {
  const where = redactRedisUrl(options.url);
  await checkRedis(options.url);
  const queue = new Queue<QueuedStudyJob>(options.name ?? DEFAULT_QUEUE_NAME, {
    connection: { ...redisOptions(options.url), maxRetriesPerRequest: 3 },
  });
  let lastError: unknown;
  queue.on('error', (error) => {
    lastError = error;
  });
  const emit = options.onEvent ?? (() => {});
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  try {
    const stored = await store.keys();
    const pending = new Map<string, QueuedStudyJob>();
    for (const job of jobs)
      if (!stored.has(job.key))
        pending.set(job.key, { job, fingerprint: await studyFingerprint(jobTask(job)) });
    emit({
      type: 'start',
      mode: 'queue',
      planned: jobs.length,
      stored: jobs.length - pending.size,
      toRun: pending.size,
    });
    const failures: StudyFailure[] = [];
    let finishedHere = 0;
    let states = new Map<string, State>();
    const counts = (): StudyCounts => {
      const c = {
        done: jobs.length - pending.size - failures.length,
        running: 0,
        failed: failures.length,
        waiting: 0,
      };
      for (const key of pending.keys()) states.get(key) === 'active' ? c.running++ : c.waiting++;
      return c;
    };
    const finish = async (key: string, job: Job<QueuedStudyJob>, state: State) => {
      pending.delete(key);
      if (state === 'completed') {
        await store.put(key, job.returnvalue);
        finishedHere++;
        const seconds = recordSeconds(job.returnvalue);
        const c = counts();
        emit({
          type: 'done',
          key,
          ...(seconds === undefined ? {} : { seconds }),
          counts: c,
          elapsed: elapsed(),
          eta: etaSeconds(c, elapsed(), finishedHere),
        });
      } else {
        const failure = { key, error: job.failedReason ?? 'unknown error', attempts: job.attemptsMade };
        failures.push(failure);
        emit({ type: 'failed', ...failure, counts: counts(), elapsed: elapsed() });
      }
    };

    // kept in Redis once done: enqueueing the same key again then adds nothing
    const jobOptions = {
      attempts: options.attempts ?? 2,
      backoff: { type: 'fixed', delay: 1_000 },
      removeOnComplete: false,
      removeOnFail: false,
    };

    // enqueue: what Redis already holds is reused when it came from the same model, data and code
    const toAdd: QueuedStudyJob[] = [];
    for (const [key, queued] of [...pending]) {
      // the state first, then the job: a job read before it completed would lack its result
      const state = await queue.getJobState(key);
      const existing = state === 'unknown' ? undefined : await queue.getJob(key);
      if (!existing) {
        toAdd.push(queued);
        continue;
      }
      if (fingerprintDifferences(queued.fingerprint, existing.data.fingerprint).length > 0) {
        if (state === 'active')
          throw new SvdecodeError(
            'BAD_ARGUMENT',
            `queue "${queue.name}" at ${where} is running ${key} for another model, data or svdecode version`,
            { hint: 'Give this study its own queue (--queue-name), or wait for that run to end.' },
          );
        await existing.remove();
        toAdd.push(queued);
      } else if (state === 'completed') await finish(key, existing, state);
      else if (state === 'failed') await existing.retry('failed'); // a restarted study tries its failures again
    }
    await queue.addBulk(
      toAdd.map((queued) => ({
        name: queued.job.kind,
        data: queued,
        opts: { jobId: queued.job.key, ...jobOptions },
      })),
    );

    /** Every pending job's state, and the jobs that ended (Redis reads only; nothing is stored here). */
    const poll = async () => {
      const now = new Map(
        await Promise.all(
          [...pending.keys()].map(async (key) => [key, await queue.getJobState(key)] as const),
        ),
      );
      const ended: Array<{ key: string; job: Job<QueuedStudyJob>; state: State }> = [];
      for (const [key, state] of now) {
        if (state === 'completed' || state === 'failed') {
          const job = await queue.getJob(key);
          if (job) ended.push({ key, job, state });
        } else if (state === 'unknown') {
          // gone from Redis (the queue was emptied by hand): enqueue it again
          const queued = pending.get(key)!;
          await queue.add(queued.job.kind, queued, { jobId: key, ...jobOptions });
        }
      }
      return { states: now, ended };
    };

    // wait: each poll reads every pending job's state; results are stored as they complete
    const outageMs = (options.outageSeconds ?? 60) * 1000;
    let lastProgress = performance.now();
    let lastAnswer = performance.now();
    while (pending.size > 0) {
      if (options.signal?.aborted)
        throw new SvdecodeError('ABORTED', 'the study coordinator was stopped; the queued runs go on', {
          hint: 'Run the same study command again: it picks up the results that completed meanwhile.',
        });
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
      const before = states;
      let ended: Array<{ key: string; job: Job<QueuedStudyJob>; state: State }>;
      try {
        // a command may hang while ioredis reconnects: a poll that takes too long counts as no answer
        ({ states, ended } = await withTimeout(poll(), Math.min(outageMs, 10_000)));
        lastAnswer = performance.now();
      } catch (error) {
        if (performance.now() - lastAnswer > outageMs) throw redisError(lastError ?? error, where);
        continue;
      }
      for (const { key, job, state } of ended) await finish(key, job, state);
      for (const [key, state] of states)
        if (state === 'delayed' && before.get(key) !== 'delayed') {
          // a failed attempt waits out its backoff before the next one
          const job = await queue.getJob(key);
          emit({ type: 'retry', key, error: job?.failedReason ?? '', attempt: job?.attemptsMade ?? 0 });
        }
      if (performance.now() - lastProgress > 30_000 && pending.size > 0) {
        lastProgress = performance.now();
        const c = counts();
        emit({
          type: 'progress',
          counts: c,
          elapsed: elapsed(),
          eta: etaSeconds(c, elapsed(), finishedHere),
        });
      }
    }
    return { failures };
  } catch (error) {
    throw redisError(error, where);
  } finally {
    // closing waits for pending commands: bounded, so that a dead Redis cannot hold the process
    await withTimeout(queue.close(), 2_000).catch(() => {
      void queue.disconnect().catch(() => {}); // may never settle while Redis is gone: not awaited
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

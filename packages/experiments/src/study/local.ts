import { JobRunner } from './job-runner.js';
import type { StudyJob } from './jobs.js';
import { etaSeconds, recordSeconds, type StudyEvent, type StudyFailure } from './progress.js';
import type { StudyStore } from './store.js';

export interface LocalOptions {
  /** Job runner processes (each loads the model once; tfjs-wasm is single-threaded). */
  workers: number;
  /** Stop handing out jobs after this time (ms since the epoch); jobs in flight finish and are stored. */
  deadline?: number;
  /** Stops handing out jobs too (Ctrl-C); jobs in flight finish and are stored. */
  signal?: AbortSignal;
  onEvent?: (event: StudyEvent) => void;
}

/** The single-machine mode: `workers` job runner processes, each handed the next job as it finishes one. */
export async function runLocally(
  jobs: readonly StudyJob[],
  store: StudyStore,
  options: LocalOptions,
): Promise<{ failures: StudyFailure[] }> {
  const stored = await store.keys();
  const todo = jobs.filter((j) => !stored.has(j.key));
  const emit = options.onEvent ?? (() => {});
  const workerCount = Math.max(1, Math.min(options.workers, todo.length));
  emit({
    type: 'start',
    mode: 'local',
    planned: jobs.length,
    stored: jobs.length - todo.length,
    toRun: todo.length,
    workers: workerCount,
  });
  const failures: StudyFailure[] = [];
  if (todo.length === 0) return { failures };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let next = 0;
  let finished = 0;
  let running = 0;
  const counts = () => ({
    done: jobs.length - todo.length + finished - failures.length,
    running,
    failed: failures.length,
    waiting: todo.length - next,
  });
  const more = () =>
    next < todo.length &&
    Date.now() < (options.deadline ?? Number.POSITIVE_INFINITY) &&
    !options.signal?.aborted;
  const runners = Array.from({ length: workerCount }, () => new JobRunner());
  try {
    await Promise.all(
      runners.map(async (runner) => {
        while (more()) {
          const job = todo[next++]!;
          running++;
          try {
            const record = await runner.run(job);
            running--;
            finished++;
            await store.put(job.key, record);
            const seconds = recordSeconds(record);
            emit({
              type: 'done',
              key: job.key,
              ...(seconds === undefined ? {} : { seconds }),
              counts: counts(),
              elapsed: elapsed(),
              eta: etaSeconds(counts(), elapsed(), finished),
            });
          } catch (error) {
            running--;
            finished++;
            const message = (error as Error).message;
            failures.push({ key: job.key, error: message, attempts: 1 });
            emit({
              type: 'failed',
              key: job.key,
              error: message,
              attempts: 1,
              counts: counts(),
              elapsed: elapsed(),
            });
          }
        }
      }),
    );
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
  }
  return { failures };
}

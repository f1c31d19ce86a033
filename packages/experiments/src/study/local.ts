import { fork } from 'node:child_process';
import { studyWorkerEntry } from './fingerprint.js';
import type { StudyJob } from './jobs.js';
import { etaSeconds, recordSeconds, type StudyEvent, type StudyFailure } from './progress.js';
import type { StudyStore } from './store.js';
import type { LocalWorkerReply } from './worker-process.js';

export interface LocalOptions {
  /** Worker processes (each loads the model once; tfjs-wasm is single-threaded). */
  workers: number;
  /** Stop handing out jobs after this time (ms since the epoch); jobs in flight finish and are stored. */
  deadline?: number;
  onEvent?: (event: StudyEvent) => void;
}

/** The single-machine mode: `workers` child processes, each handed the next job as it finishes one. */
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
  const entry = studyWorkerEntry();
  await Promise.all(
    Array.from(
      { length: workerCount },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = fork(entry, ['local'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          const dispatch = () => {
            if (next < todo.length && Date.now() < (options.deadline ?? Number.POSITIVE_INFINITY)) {
              running++;
              worker.send(todo[next++]!);
            } else worker.send('stop');
          };
          worker.on('message', async (message: 'ready' | LocalWorkerReply) => {
            if (message !== 'ready') {
              running--;
              finished++;
              if (message.ok) {
                await store.put(message.key, message.record);
                const seconds = recordSeconds(message.record);
                emit({
                  type: 'done',
                  key: message.key,
                  ...(seconds === undefined ? {} : { seconds }),
                  counts: counts(),
                  elapsed: elapsed(),
                  eta: etaSeconds(counts(), elapsed(), finished),
                });
              } else {
                failures.push({ key: message.key, error: message.error, attempts: 1 });
                emit({
                  type: 'failed',
                  key: message.key,
                  error: message.error,
                  attempts: 1,
                  counts: counts(),
                  elapsed: elapsed(),
                });
              }
            }
            dispatch();
          });
          worker.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`a study worker exited with code ${code}`)),
          );
        }),
    ),
  );
  return { failures };
}

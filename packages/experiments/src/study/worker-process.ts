// A study job runner process (built as dist/study-worker.js): loads the embedded model once, then
// runs the study jobs its parent sends over IPC, one at a time, and sends each record back. Both
// modes use it: the local study, and `svdecode worker`, whose parent holds the BullMQ workers (so
// their locks are renewed while a job keeps this process's event loop busy). tfjs-wasm is
// single-threaded: one of these per core.
import { isSvdecodeError } from '@svdecode/core';
import { loadTiny } from '@svdecode/tiny';
import { executeStudyJob, type StudyJob } from './jobs.js';

/** What the runner sends back for each job. */
export type RunnerReply =
  | { key: string; ok: true; record: object }
  | { key: string; ok: false; error: string };

process.env.SVDECODE_QUIET = '1';
const send = (message: unknown) => process.send?.(message);
// the parent died (or was killed): so does this runner; a queued job its parent held is put back by BullMQ
process.on('disconnect', () => process.exit(1));
// Ctrl-C reaches the whole process group: the parent decides (finish the job in flight, then 'stop')
process.on('SIGINT', () => {});

try {
  const { model, tokenizer } = await loadTiny({ quiet: true });
  process.on('message', async (job: StudyJob | 'stop') => {
    if (job === 'stop') {
      model.dispose();
      process.exit(0);
    }
    try {
      const record = await executeStudyJob(job, model, tokenizer);
      send({ key: job.key, ok: true, record } satisfies RunnerReply);
    } catch (error) {
      send({
        key: job.key,
        ok: false,
        error: isSvdecodeError(error) ? error.format() : String((error as Error)?.stack ?? error),
      } satisfies RunnerReply);
    }
  });
  send('ready');
} catch (error) {
  process.stderr.write(
    `study worker: ${isSvdecodeError(error) ? error.format() : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
}

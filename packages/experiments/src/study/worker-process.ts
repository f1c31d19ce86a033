// A study worker process (built as dist/study-worker.js): loads the embedded model once, then runs
// study jobs one at a time, either handed over IPC by a local study (`local`) or taken from a
// BullMQ queue (`queue <url> <name> <lockSeconds>`). tfjs-wasm is single-threaded, so a study
// runs one of these per core.
import { isSvdecodeError } from '@svdecode/core';
import { loadTiny } from '@svdecode/tiny';
import { executeStudyJob, type StudyJob } from './jobs.js';
import { startQueueWorker } from './queue-worker.js';

/** What a local worker sends back for each job. */
export type LocalWorkerReply =
  | { key: string; ok: true; record: object }
  | { key: string; ok: false; error: string };

process.env.SVDECODE_QUIET = '1';
const [mode, url, name, lockSeconds] = process.argv.slice(2);
const send = (message: unknown) => process.send?.(message);
// the parent died (or was killed): so does this worker; a queued job it held is put back by BullMQ
process.on('disconnect', () => process.exit(1));

try {
  const { model, tokenizer } = await loadTiny({ quiet: true });
  if (mode === 'local') {
    process.on('message', async (job: StudyJob | 'stop') => {
      if (job === 'stop') {
        model.dispose();
        process.exit(0);
      }
      try {
        const record = await executeStudyJob(job, model, tokenizer);
        send({ key: job.key, ok: true, record } satisfies LocalWorkerReply);
      } catch (error) {
        send({
          key: job.key,
          ok: false,
          error: String((error as Error)?.stack ?? error),
        } satisfies LocalWorkerReply);
      }
    });
  } else if (mode === 'queue') {
    const log = (line: string) => process.stderr.write(`worker ${process.pid}: ${line}\n`);
    const worker = await startQueueWorker(model, tokenizer, {
      url: url!,
      name: name!,
      lockSeconds: Number(lockSeconds),
      onJob: ({ key, phase, error }) => log(`${key} ${phase}${error ? `: ${error.split('\n')[0]}` : ''}`),
    });
    let closing = false;
    const close = async () => {
      if (closing) return;
      closing = true;
      log('finishing the current job, then stopping');
      await worker.close();
      model.dispose();
      process.exit(0);
    };
    process.on('SIGTERM', close);
    process.on('SIGINT', close);
  } else throw new Error(`unknown worker mode ${mode}`);
  send('ready');
} catch (error) {
  process.stderr.write(
    `study worker: ${isSvdecodeError(error) ? error.format() : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(isSvdecodeError(error) && error.kind === 'environment' ? 69 : 1);
}

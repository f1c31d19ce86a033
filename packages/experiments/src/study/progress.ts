/** Where a study stands: jobs stored, running, failed for good, still waiting. */
export interface StudyCounts {
  done: number;
  running: number;
  failed: number;
  waiting: number;
}

/** What a study run reports as it goes (both modes report the same events). */
export type StudyEvent =
  | {
      type: 'start';
      mode: 'local' | 'queue';
      planned: number;
      stored: number;
      toRun: number;
      /** Local mode: the worker processes started. */
      workers?: number;
    }
  | {
      type: 'done';
      key: string;
      /** The job's own seconds, when its record says. */
      seconds?: number;
      counts: StudyCounts;
      elapsed: number;
      eta: number | null;
    }
  | { type: 'failed'; key: string; error: string; attempts: number; counts: StudyCounts; elapsed: number }
  | { type: 'progress'; counts: StudyCounts; elapsed: number; eta: number | null }
  | { type: 'retry'; key: string; error: string; attempt: number };

/** A failed job as the final summary lists it. */
export interface StudyFailure {
  key: string;
  error: string;
  attempts: number;
}

/** Seconds as `12 s`, `7 min`, `1.5 h`. */
export const formatSeconds = (s: number) =>
  s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(0)} min` : `${s.toFixed(0)} s`;

/** The remaining time at the rate jobs have finished so far (null before the first one). */
export function etaSeconds(counts: StudyCounts, elapsed: number, finishedHere: number): number | null {
  if (finishedHere === 0) return null;
  return ((counts.running + counts.waiting) * elapsed) / finishedHere;
}

/** One line per event, for a terminal (stderr). */
export function formatStudyEvent(event: StudyEvent): string | null {
  const counts = (c: StudyCounts) =>
    `${c.done} done, ${c.running} running, ${c.failed} failed, ${c.waiting} waiting`;
  const eta = (e: number | null) => (e === null ? '' : `, ETA ${formatSeconds(e)}`);
  switch (event.type) {
    case 'start':
      return `study: ${event.planned} jobs planned, ${event.stored} stored, ${event.toRun} to run ${event.mode === 'queue' ? 'through the queue' : `on ${event.workers} local worker${event.workers === 1 ? '' : 's'}`}`;
    case 'done':
      return `[${formatSeconds(event.elapsed)}] ${event.key}${event.seconds === undefined ? '' : ` (${formatSeconds(event.seconds)})`}: ${counts(event.counts)}${eta(event.eta)}`;
    case 'failed':
      return `[${formatSeconds(event.elapsed)}] ${event.key} FAILED after ${event.attempts} attempt(s): ${event.error.split('\n')[0]}`;
    case 'progress':
      return `[${formatSeconds(event.elapsed)}] ${counts(event.counts)}${eta(event.eta)}`;
    case 'retry':
      return `study: ${event.key} failed (attempt ${event.attempt}), retrying: ${event.error.split('\n')[0]}`;
  }
}

/** A stored record's own run time (base records have none). */
export const recordSeconds = (record: unknown): number | undefined =>
  (record as { seconds?: { total?: number } } | null)?.seconds?.total;

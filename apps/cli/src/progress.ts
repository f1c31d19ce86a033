import cliProgress from 'cli-progress';

export interface ProgressUpdate {
  done: number;
  total: number;
  /** e.g. "loss 1.23  812 tok/s" */
  detail?: string;
  etaSeconds?: number;
}

export interface Progress {
  update(u: ProgressUpdate): void;
  stop(): void;
}

/** How often plain (non-TTY) progress lines are printed, in ms (SVDECODE_PROGRESS_MS overrides). */
const PLAIN_INTERVAL_MS = Number(process.env.SVDECODE_PROGRESS_MS ?? 5000);

/**
 * A progress bar on stderr: cli-progress on a terminal, a plain line every few seconds otherwise
 * (logs and CI), nothing with --quiet. stdout stays clean for --json.
 */
export function createProgress(label: string, options: { quiet?: boolean } = {}): Progress {
  if (options.quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(12)} {bar} {value}/{total}  {detail}  ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(u) {
        if (!started) {
          bar.start(u.total, u.done, { detail: u.detail ?? '' });
          started = true;
        } else bar.update(u.done, { detail: u.detail ?? '' });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let last = 0;
  let latest: ProgressUpdate | undefined;
  let printed: ProgressUpdate | undefined;
  const print = (u: ProgressUpdate) => {
    printed = u;
    const eta = u.etaSeconds === undefined ? '' : `  ETA ${Math.round(u.etaSeconds)} s`;
    process.stderr.write(`${label}: ${u.done}/${u.total}${u.detail ? `  ${u.detail}` : ''}${eta}\n`);
  };
  return {
    update(u) {
      latest = u;
      const now = Date.now();
      if (now - last >= PLAIN_INTERVAL_MS) {
        last = now;
        print(u);
      }
    },
    stop() {
      // the final state, unless it was the last line printed
      if (latest && latest !== printed) print(latest);
    },
  };
}

/** A line on stderr unless quiet. */
export function note(message: string, quiet?: boolean): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}

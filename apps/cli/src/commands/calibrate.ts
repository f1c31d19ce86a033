import { resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { encodeRows } from '@svdecode/eval';
import {
  AGGREGATES,
  type AggregateName,
  aggregatesOf,
  calibrate,
  STEERING_FORMAT,
  toJson,
  writeSteeringFile,
} from '@svdecode/strength';
import { asPromptCompletion, loadDataset } from '../data.js';
import { drawHistogram } from '../histogram.js';
import { interruptSignal } from '../interrupt.js';
import { type BackendChoice, openModel, requirePaired } from '../models.js';
import type { CommonFlags } from '../options.js';
import { createProgress } from '../progress.js';
import { strengthReport } from '../strength-report.js';

export interface CalibrateFlags extends CommonFlags {
  model: string;
  adapter: string;
  data: string;
  out: string;
  alpha: number;
  aggregate: AggregateName;
  /** false with --no-guard */
  guard: boolean;
  folds: number;
  backend?: BackendChoice;
  dtype?: string;
}

/** Teacher-forces the calibration rows through base and adapted model and writes mu_bar (steering.json). */
export async function calibrateCommand(flags: CalibrateFlags): Promise<void> {
  const rows = asPromptCompletion(await loadDataset(flags.data), flags.data);
  const loaded = await openModel(flags);
  const adapted = requirePaired(loaded, 'calibrate');
  const signal = interruptSignal();
  const progress = createProgress('calibrate', flags);
  try {
    const result = await calibrate(adapted, encodeRows(loaded.tokenizer, rows), {
      alpha: flags.alpha,
      aggregate: flags.aggregate,
      guard: flags.guard,
      folds: flags.folds,
      signal,
      onProgress: (p) =>
        progress.update({
          done: p.rows,
          total: p.totalRows,
          detail: `${p.tokens} tokens  ${Math.round(p.tokensPerSecond)} tok/s`,
          etaSeconds: p.etaSeconds,
        }),
    });
    progress.stop();
    if (result.interrupted)
      throw new SvdecodeError(
        'ABORTED',
        `calibration interrupted after ${result.rows} rows; nothing written`,
      );
    const { summary } = result;
    const aggregates = aggregatesOf(summary);
    const muBar = summary.decision.mu;
    if (!Number.isFinite(muBar)) {
      throw new SvdecodeError(
        'NON_FINITE_STRENGTH',
        `mu_bar (${flags.aggregate}, guard off) is ${muBar}; nothing written`,
        {
          hint: 'Leave the guard on, or choose another --aggregate.',
          details: { aggregates, tokens: summary.count, skipped: summary.skipped },
        },
      );
    }
    const { mean, median, trimmed, pooled, optimal, crossValidation, decision, coverage, ...distribution } =
      summary;
    const steering = {
      format: STEERING_FORMAT,
      muBar,
      aggregate: flags.aggregate,
      alpha: flags.alpha,
      lambda: Number.NEGATIVE_INFINITY,
      aggregates,
      decision,
      crossValidation,
      coverage,
      distribution,
      base: { path: loaded.dir, fingerprint: loaded.provenance.base },
      adapter: { path: resolve(flags.adapter), fingerprint: loaded.provenance.adapter! },
      calibration: {
        data: resolve(flags.data),
        rows: result.rows,
        tokens: summary.count,
        seconds: result.seconds,
      },
      createdAt: new Date().toISOString(),
    } as const;
    await writeSteeringFile(flags.out, steering);
    if (flags.json) {
      process.stdout.write(`${toJson({ ...steering, out: resolve(flags.out) })}\n`);
      return;
    }
    const lines = [
      `calibrated alpha ${flags.alpha} on ${summary.count} tokens of ${result.rows} rows in ${result.seconds.toFixed(1)} s`,
      `aggregates: ${AGGREGATES.map((a) => `${a} ${aggregates[a].toPrecision(4)}`).join('  ')}`,
      `tokens: ${summary.skipped} skipped (delta = 0), ${summary.singletons} with a one-token confident set, ${summary.targetMasked} with the target masked`,
      'per-token mu* (1st to 99th percentile):',
      drawHistogram(summary.histogram),
      strengthReport(summary),
      `written to ${resolve(flags.out)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    progress.stop();
    loaded.dispose();
  }
}

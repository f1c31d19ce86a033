import { type PairedCausalLM, SvdecodeError, type TokenizedRow } from '@svdecode/core';
import { StrengthEstimator, type StrengthEstimatorOptions, type StrengthSummary } from './estimator.js';

/** A calibration row (only the completion's tokens are targets): core's `TokenizedRow`. */
export type CalibrationExample = TokenizedRow;

export interface CalibrationProgress {
  rows: number;
  totalRows: number;
  tokens: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface CalibrateOptions extends StrengthEstimatorOptions {
  onProgress?: (progress: CalibrationProgress) => void;
  /** Stops after the row in flight; the summary covers the rows done (`interrupted: true`). */
  signal?: AbortSignal;
}

export interface CalibrationResult {
  summary: StrengthSummary;
  estimator: StrengthEstimator;
  rows: number;
  seconds: number;
  tokensPerSecond: number;
  interrupted: boolean;
}

/**
 * Algorithm 1's calibration pass: teacher-forces every row through both models (one paired score
 * per row) and feeds each completion token's (adapted, base, target) triple to a StrengthEstimator.
 * The prompt's tokens condition the model but are not targets, as in warm-start training. Each
 * example is one row for cross-validation (the summary's `crossValidation` and `decision`).
 */
export async function calibrate(
  model: Pick<PairedCausalLM, 'vocabSize' | 'scorePaired'>,
  examples: readonly CalibrationExample[],
  options: CalibrateOptions = {},
): Promise<CalibrationResult> {
  if (examples.length === 0) throw new SvdecodeError('BAD_DATASET_ROW', 'no calibration examples');
  const estimator = new StrengthEstimator(options);
  const V = model.vocabSize;
  const start = performance.now();
  let tokens = 0;
  let rows = 0;
  for (const example of examples) {
    // let the event loop run (Ctrl-C handlers): in-process backends may never yield to it
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) break;
    if (example.prompt.length === 0 || example.completion.length === 0) {
      throw new SvdecodeError(
        'BAD_DATASET_ROW',
        `calibration row ${rows + 1} has an empty prompt or completion`,
        {
          hint: 'Each row needs prompt tokens (at least a BOS) and completion tokens to score.',
          details: { row: rows + 1 },
        },
      );
    }
    const ids = [...example.prompt, ...example.completion];
    const { base, adapted } = await model.scorePaired(ids);
    for (let t = example.prompt.length - 1; t < ids.length - 1; t++) {
      estimator.add(
        adapted.subarray(t * V, (t + 1) * V),
        base.subarray(t * V, (t + 1) * V),
        ids[t + 1]!,
        rows,
      );
    }
    tokens += example.completion.length;
    rows++;
    if (options.onProgress) {
      const seconds = (performance.now() - start) / 1000;
      const perRow = seconds / rows;
      options.onProgress({
        rows,
        totalRows: examples.length,
        tokens,
        tokensPerSecond: tokens / Math.max(seconds, 1e-9),
        etaSeconds: perRow * (examples.length - rows),
      });
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    summary: estimator.summary(),
    estimator,
    rows,
    seconds,
    tokensPerSecond: tokens / Math.max(seconds, 1e-9),
    interrupted: rows < examples.length,
  };
}

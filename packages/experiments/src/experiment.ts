import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import {
  encodeRows,
  evaluateChoices,
  evaluateOpenEnded,
  loadMultipleChoiceJsonl,
  loadPromptCompletionJsonl,
  type ModelUnderTest,
  type SplitMetrics,
} from '@svdecode/eval';
import { DEFAULT_ALPHA } from '@svdecode/kl-gradient';
import {
  AdaptedModel,
  createAdapter,
  defaultAdapterConfig,
  type Method,
  type WarmStartOptions,
  warmStart,
} from '@svdecode/peft-tfjs';
import {
  type AggregateName,
  type CalibrationProgress,
  calibrate,
  type StrengthDecision,
  type StrengthSummary,
} from '@svdecode/strength';
import { type TaskName, taskFile, taskKind } from '@svdecode/tiny';
import { calibrationCorrectness } from './study/calibration-grid.js';
import { type EstimatorName, tunedGuardedStrength, tunedStrength } from './study/estimators.js';
import { ORACLE_GRID } from './study/plan.js';

export type Aggregate = AggregateName;

import { TINY_LEARNING_RATES } from './learning-rates.js';

export { TINY_LEARNING_RATES };

export type ExperimentEvent =
  | {
      phase: 'warm-start';
      step: number;
      totalSteps: number;
      loss: number;
      tokensPerSecond: number;
      etaSeconds: number;
    }
  | ({ phase: 'calibrate' } & CalibrationProgress)
  | { phase: 'evaluate'; variant: 'base' | 'peft' | 'svdecode' };

export interface ExperimentOptions {
  task: TaskName;
  method: Method;
  model: TfjsCausalLM;
  tokenizer: Tokenizer;
  /** Overrides of the warm-start (default: 1 epoch, batch 1, the method's rate in TINY_LEARNING_RATES). */
  warmStart?: WarmStartOptions;
  /** Seed of the adapter's initialisation and of the warm-start's data order (default 0). */
  seed?: number;
  /** How mu_bar is aggregated from the calibration tokens (default 'optimal', docs/method.md#aggregates). */
  aggregate?: Aggregate;
  /** The held-out guard on mu_bar (default true; @svdecode/strength). */
  guard?: boolean;
  /**
   * How the strength is chosen (default 'guarded': the calibration decision as `aggregate` and
   * `guard` say). The study's other estimators: 'peft' (0), 'paperMean' and 'optimal' (guard off),
   * 'tuned' and 'tunedGuarded' (the grid strength with the best greedy calibration accuracy;
   * DECISIONS.md entry 15).
   */
  estimator?: EstimatorName;
  alpha?: number;
  /** Evaluate the base model too (default true; the replication script computes it once per task). */
  evaluateBase?: boolean;
  onProgress?: (event: ExperimentEvent) => void;
  signal?: AbortSignal;
}

/** Warm-start and calibration of one task and method: everything before the test split is read. */
export interface CalibrationRun {
  task: TaskName;
  method: Method;
  /** The strength decoded with: `decision.mu` (guarded by default), or the chosen estimator's. */
  muBar: number;
  /** Which estimator chose muBar. */
  estimator: EstimatorName;
  /** The tuned estimators: greedy calibration accuracy at every grid strength. */
  calibrationGrid?: { mus: number[]; accuracy: number[] };
  aggregate: Aggregate;
  decision: StrengthDecision;
  alpha: number;
  calibration: StrengthSummary;
  warmStart: {
    steps: number;
    tokens: number;
    seconds: number;
    firstLoss: number;
    lastLoss: number;
    learningRate: number;
  };
  seconds: number;
}

export interface ExperimentResult extends CalibrationRun {
  base?: SplitMetrics;
  peft: SplitMetrics;
  svdecode: SplitMetrics;
}

async function evaluateTest(
  task: TaskName,
  subject: ModelUnderTest,
  tokenizer: Tokenizer,
): Promise<SplitMetrics> {
  return taskKind(task) === 'open-ended'
    ? evaluateOpenEnded(subject, tokenizer, await loadPromptCompletionJsonl(taskFile(task, 'test')))
    : evaluateChoices(subject, tokenizer, await loadMultipleChoiceJsonl(taskFile(task, 'test')));
}

/**
 * The paper's pipeline on one task of the embedded default: warm-start a fresh adapter for one
 * epoch on the train split, aggregate mu_bar on the calibration split, then evaluate the base
 * model, the adapted model and the adapted model with SVDecode on the test split (greedy). The
 * test split is only read for the final evaluation.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const { task, model, tokenizer } = options;
  const emit = options.onProgress ?? (() => {});
  return withCalibratedAdapter(options, async (adapted, run) => {
    let base: SplitMetrics | undefined;
    if (options.evaluateBase !== false) {
      emit({ phase: 'evaluate', variant: 'base' });
      base = await evaluateTest(task, { model }, tokenizer);
    }
    emit({ phase: 'evaluate', variant: 'peft' });
    const peft = await evaluateTest(task, { model: adapted }, tokenizer);
    emit({ phase: 'evaluate', variant: 'svdecode' });
    const steer = { mu: run.muBar, alpha: run.alpha };
    const svdecode = await evaluateTest(task, { model: adapted, steer }, tokenizer);
    return { ...run, base, peft, svdecode };
  });
}

/** The first half of runExperiment: warm-start and calibrate, without reading the test split. */
export function calibrateTask(options: ExperimentOptions): Promise<CalibrationRun> {
  return withCalibratedAdapter(options, async (_adapted, run) => run);
}

/** Warm-starts a fresh adapter, calibrates mu_bar, hands both to `use`, and disposes the adapter. */
async function withCalibratedAdapter<T extends CalibrationRun>(
  options: ExperimentOptions,
  use: (adapted: AdaptedModel, run: CalibrationRun) => Promise<T>,
): Promise<T> {
  const { task, method, model, tokenizer } = options;
  const started = performance.now();
  const aggregate = options.aggregate ?? 'optimal';
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const emit = options.onProgress ?? (() => {});
  const train = encodeRows(tokenizer, await loadPromptCompletionJsonl(taskFile(task, 'train')));
  const calibrationText = await loadPromptCompletionJsonl(taskFile(task, 'calibration'));
  const calibrationRows = encodeRows(tokenizer, calibrationText);

  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig(method, model), { seed: options.seed ?? 0 }),
  );
  try {
    const learningRate = options.warmStart?.learningRate ?? TINY_LEARNING_RATES[method];
    const trained = await warmStart(adapted, train, {
      epochs: 1,
      batchSize: 1,
      seed: options.seed ?? 0,
      ...options.warmStart,
      learningRate,
      signal: options.signal,
      onProgress: (p) =>
        emit({
          phase: 'warm-start',
          step: p.step,
          totalSteps: p.totalSteps,
          loss: p.loss,
          tokensPerSecond: p.tokensPerSecond,
          etaSeconds: p.etaSeconds,
        }),
    });
    abortIfAsked(options.signal);

    const calibration = await calibrate(adapted, calibrationRows, {
      alpha,
      aggregate,
      guard: options.guard,
      signal: options.signal,
      onProgress: (p) => emit({ phase: 'calibrate', ...p }),
    });
    abortIfAsked(options.signal);
    const { decision } = calibration.summary;
    const estimator = options.estimator ?? 'guarded';
    let muBar = decision.mu;
    let calibrationGrid: CalibrationRun['calibrationGrid'];
    if (estimator === 'peft') muBar = 0;
    else if (estimator === 'paperMean') muBar = calibration.summary.mean;
    else if (estimator === 'optimal') muBar = calibration.summary.optimal;
    else if (estimator === 'tuned' || estimator === 'tunedGuarded') {
      const correctAt = await calibrationCorrectness(adapted, tokenizer, calibrationText, ORACLE_GRID, {
        alpha,
        choiceTask: taskKind(task) === 'multiple-choice',
      });
      const correct = ORACLE_GRID.map((mu) => correctAt.get(mu)!);
      muBar = (estimator === 'tuned' ? tunedStrength : tunedGuardedStrength)(ORACLE_GRID, correct);
      calibrationGrid = {
        mus: [...ORACLE_GRID],
        accuracy: correct.map((c) => c.reduce((a, b) => a + b, 0) / c.length),
      };
    }
    if (!Number.isFinite(muBar)) {
      throw new SvdecodeError('NON_FINITE_STRENGTH', `mu_bar (${aggregate}, ${estimator}) is ${muBar}`, {
        hint: 'The calibration loss may be unbounded; leave the guard on, or use more calibration data.',
      });
    }
    const run: CalibrationRun = {
      task,
      method,
      muBar,
      estimator,
      ...(calibrationGrid ? { calibrationGrid } : {}),
      aggregate,
      decision,
      alpha,
      calibration: calibration.summary,
      warmStart: {
        steps: trained.steps,
        tokens: trained.tokens,
        seconds: trained.seconds,
        firstLoss: trained.losses[0] ?? Number.NaN,
        lastLoss: trained.losses.at(-1) ?? Number.NaN,
        learningRate,
      },
      seconds: (performance.now() - started) / 1000,
    };
    const result = await use(adapted, run);
    return { ...result, seconds: (performance.now() - started) / 1000 };
  } finally {
    adapted.dispose();
  }
}

function abortIfAsked(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SvdecodeError('ABORTED', 'the experiment was interrupted');
}

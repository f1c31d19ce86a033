// Over 300 lines on purpose: one study run end to end (warm-start, calibration, estimators, the
// test split decoded once for every strength), stored as one record whose parts reference each other.
import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import type { TokenizedRow, Tokenizer } from '@svdecode/core';
import {
  argmax,
  encodeRows,
  evaluateChoices,
  evaluateChoicesGrid,
  evaluateOpenEnded,
  evaluateOpenEndedGrid,
  type GridRow,
  loadMultipleChoiceJsonl,
  loadPromptCompletionJsonl,
  mc1Paper,
  mc2Paper,
  mc3Paper,
  type SteerSetting,
} from '@svdecode/eval';
import { AdaptedModel, createAdapter, defaultAdapterConfig, warmStart } from '@svdecode/peft-tfjs';
import { assignFolds, StrengthEstimator, type StrengthSummary } from '@svdecode/strength';
import { type TaskName, taskFile, taskKind } from '@svdecode/tiny';
import { calibrationCorrectness } from './calibration-grid.js';
import {
  crossValidatedAccuracy,
  ESTIMATORS,
  type EstimatorName,
  tunedGuardedStrength,
  tunedStrength,
} from './estimators.js';
import { ABLATION, DEFAULT_STUDY_ALPHA, ORACLE_GRID, type StudyRunSpec } from './plan.js';

/** Strengths beyond this are decoded as this (an unbounded optimum, a mean of -791): a point mass either way. */
const MU_CLAMP = 1e6;
const FOLDS = 5;
const FOLD_SEED = 1; // the strength estimator's default seed: the same folds as its cross-validation

/** What one steering setting scored on the test split. */
export interface SettingResult {
  /** 'grid' (the oracle curve, a diagnostic) or an estimator's name. */
  label: 'grid' | EstimatorName;
  mu: number;
  alpha: number;
  /** -Infinity is stored as null (JSON). */
  lambda: number | null;
  accuracy: number;
  /** Per test item, '1' correct / '0' wrong (greedy). */
  correct: string;
  likelihoodAccuracy?: number;
  likelihoodCorrect?: string;
  mc1?: number;
  mc2?: number;
  mc3?: number;
  /** Per-item MC3 (estimator settings at the default alpha and lambda only, 4 decimals). */
  mc3Rows?: number[];
}

export interface EstimatorRecord {
  mu: number;
  /** The value before clamping or guarding (an unbounded optimum is +-Infinity, stored as a string). */
  raw: number | string;
  /** Cross-validated greedy accuracy on the calibration split, and its gain over mu = 0 (the rule's input). */
  calibrationCV: { accuracy: number; gain: number };
  reason?: string;
}

export interface StudyRunRecord {
  key: string;
  task: TaskName;
  method: string;
  budget: StudyRunSpec['budget'];
  seed: number;
  warmStart: { steps: number; seconds: number; firstLoss: number; lastLoss: number };
  /** The default alpha's calibration (lambda = -Infinity). */
  calibration: {
    tokens: number;
    rows: number;
    mean: number | string;
    optimal: number | string;
    coverage: StrengthSummary['coverage'];
    decisionReason: string;
    /** Greedy accuracy on the calibration split at every grid strength (the tuned estimators read it). */
    gridAccuracy: number[];
  };
  estimators: Record<EstimatorName, EstimatorRecord>;
  /** Ablation runs: each alpha's aggregates (the same strength is used with both lambdas). */
  ablationEstimators?: Record<string, { paperMean: number; optimal: number; guarded: number }>;
  test: { items: number; settings: SettingResult[] };
  seconds: { warmStart: number; calibrate: number; calibrationGrid: number; test: number; total: number };
}

export interface StudyRunInput {
  spec: StudyRunSpec;
  model: TfjsCausalLM;
  tokenizer: Tokenizer;
  onPhase?: (phase: string) => void;
}

const finiteOrString = (x: number) => (Number.isFinite(x) ? x : String(x));
const clampMu = (x: number) =>
  Number.isFinite(x)
    ? Math.max(-MU_CLAMP, Math.min(MU_CLAMP, x))
    : Number.isNaN(x)
      ? 0
      : Math.sign(x) * MU_CLAMP;
const bits = (xs: readonly boolean[]) => xs.map((x) => (x ? '1' : '0')).join('');
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One calibration pass feeding several estimators (one per alpha): one paired forward per row. */
async function calibrateAlphas(
  adapted: AdaptedModel,
  rows: readonly TokenizedRow[],
  alphas: readonly number[],
): Promise<Map<number, StrengthSummary>> {
  const estimators = alphas.map(
    (alpha) => new StrengthEstimator({ alpha, aggregate: 'optimal', guard: true }),
  );
  const V = adapted.vocabSize;
  for (let r = 0; r < rows.length; r++) {
    const ids = [...rows[r]!.prompt, ...rows[r]!.completion];
    const { base, adapted: a } = await adapted.scorePaired(ids);
    for (let t = rows[r]!.prompt.length - 1; t < ids.length - 1; t++)
      for (const e of estimators)
        e.add(a.subarray(t * V, (t + 1) * V), base.subarray(t * V, (t + 1) * V), ids[t + 1]!, r);
  }
  return new Map(alphas.map((alpha, k) => [alpha, estimators[k]!.summary()]));
}

/**
 * One run of the study: warm-start a fresh adapter at the run's budget, calibrate (every alpha of
 * the ablation in one pass), decode the calibration split at every grid strength and at each
 * estimator's fold strengths (for the tuned estimators and the cross-validated comparison), then
 * decode the test split once for every setting (the oracle grid and each estimator).
 */
export async function runStudyRun({
  spec,
  model,
  tokenizer,
  onPhase,
}: StudyRunInput): Promise<StudyRunRecord> {
  const started = performance.now();
  const phase = onPhase ?? (() => {});
  const head = <T>(rows: T[]) => (spec.rows === undefined ? rows : rows.slice(0, spec.rows));
  const trainRows = encodeRows(
    tokenizer,
    head(await loadPromptCompletionJsonl(taskFile(spec.task, 'train'))),
  );
  const calibrationText = head(await loadPromptCompletionJsonl(taskFile(spec.task, 'calibration')));
  const calibrationRows = encodeRows(tokenizer, calibrationText);
  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig(spec.method as never, model), { seed: spec.seed }),
  );
  try {
    phase('warm-start');
    const trained = await warmStart(adapted, trainRows, {
      epochs: spec.budget.epochs,
      batchSize: 1,
      seed: spec.seed,
      learningRate: spec.budget.learningRate,
    });
    const tWarm = performance.now();

    phase('calibrate');
    const alphas = spec.ablation ? [...ABLATION.alphas] : [DEFAULT_STUDY_ALPHA];
    const summaries = await calibrateAlphas(adapted, calibrationRows, alphas);
    const main = summaries.get(DEFAULT_STUDY_ALPHA)!;
    const cv = main.crossValidation!;
    const tCal = performance.now();

    // the calibration split at every grid strength and every fold strength of the fitted estimators
    phase('calibration grid');
    const foldMus: Record<'paperMean' | 'optimal' | 'guarded', number[]> = {
      paperMean: cv.aggregates.mean.foldMus.map(clampMu),
      optimal: cv.aggregates.optimal.foldMus.map(clampMu),
      guarded: cv.guarded.foldMus.map(clampMu),
    };
    const calibrationMus = [...ORACLE_GRID, ...foldMus.paperMean, ...foldMus.optimal, ...foldMus.guarded];
    const choiceTask = taskKind(spec.task) === 'multiple-choice';
    const correctAt = await calibrationCorrectness(adapted, tokenizer, calibrationText, calibrationMus, {
      alpha: DEFAULT_STUDY_ALPHA,
      choiceTask,
    });
    const gridCorrect = ORACLE_GRID.map((mu) => correctAt.get(mu)!);
    const folds = Math.min(FOLDS, calibrationRows.length);
    const foldOf = assignFolds(calibrationRows.length, folds, FOLD_SEED);
    const lookup = (mu: number) => correctAt.get(mu)!;
    const outside = (f: number) => (r: number) => foldOf[r] !== f;
    const tunedFolds = Array.from({ length: folds }, (_, f) =>
      tunedStrength(ORACLE_GRID, gridCorrect, outside(f)),
    );
    const tunedGuardedFolds = Array.from({ length: folds }, (_, f) =>
      tunedGuardedStrength(ORACLE_GRID, gridCorrect, outside(f)),
    );
    const cvOf = (perFold: readonly number[]) =>
      crossValidatedAccuracy(foldOf, folds, (f) => perFold[f]!, lookup);
    const estimators: Record<EstimatorName, EstimatorRecord> = {
      peft: { mu: 0, raw: 0, calibrationCV: cvOf(Array(folds).fill(0)) },
      paperMean: {
        mu: clampMu(main.mean),
        raw: finiteOrString(main.mean),
        calibrationCV: cvOf(foldMus.paperMean),
      },
      optimal: {
        mu: clampMu(main.optimal),
        raw: finiteOrString(main.optimal),
        calibrationCV: cvOf(foldMus.optimal),
      },
      guarded: {
        mu: main.decision.mu,
        raw: finiteOrString(main.decision.raw),
        calibrationCV: cvOf(foldMus.guarded),
        reason: main.decision.reason,
      },
      tuned: {
        mu: tunedStrength(ORACLE_GRID, gridCorrect),
        raw: tunedStrength(ORACLE_GRID, gridCorrect),
        calibrationCV: cvOf(tunedFolds),
      },
      tunedGuarded: {
        mu: tunedGuardedStrength(ORACLE_GRID, gridCorrect),
        raw: tunedStrength(ORACLE_GRID, gridCorrect),
        calibrationCV: cvOf(tunedGuardedFolds),
      },
    };
    const tCalGrid = performance.now();

    // the test split: read here, once, for every setting
    phase('test');
    const labels: SettingResult['label'][] = [];
    const settings: SteerSetting[] = [];
    const add = (label: SettingResult['label'], setting: SteerSetting) => {
      labels.push(label);
      settings.push(setting);
    };
    for (const mu of ORACLE_GRID) add('grid', { mu, alpha: DEFAULT_STUDY_ALPHA });
    for (const name of ESTIMATORS) add(name, { mu: estimators[name].mu, alpha: DEFAULT_STUDY_ALPHA });
    let ablationEstimators: StudyRunRecord['ablationEstimators'];
    if (spec.ablation) {
      ablationEstimators = {};
      for (const alpha of ABLATION.alphas) {
        const s = summaries.get(alpha)!;
        const fitted = { paperMean: clampMu(s.mean), optimal: clampMu(s.optimal), guarded: s.decision.mu };
        ablationEstimators[String(alpha)] = fitted;
        for (const lambda of ABLATION.lambdas) {
          if (alpha === DEFAULT_STUDY_ALPHA && lambda === Number.NEGATIVE_INFINITY) continue; // the main settings
          for (const mu of ORACLE_GRID) add('grid', { mu, alpha, lambda });
          for (const name of ['paperMean', 'optimal', 'guarded'] as const)
            add(name, { mu: fitted[name], alpha, lambda });
        }
      }
    }
    const testRows: GridRow[] = choiceTask
      ? await evaluateChoicesGrid(
          adapted,
          tokenizer,
          head(await loadMultipleChoiceJsonl(taskFile(spec.task, 'test'))),
          settings,
        )
      : await evaluateOpenEndedGrid(
          adapted,
          tokenizer,
          head(await loadPromptCompletionJsonl(taskFile(spec.task, 'test'))),
          settings,
        );
    const tTest = performance.now();

    const results: SettingResult[] = settings.map((setting, k) => {
      const correct = testRows.map((r) => r.correct[k]!);
      const lambda = setting.lambda ?? Number.NEGATIVE_INFINITY;
      const result: SettingResult = {
        label: labels[k]!,
        mu: setting.mu,
        alpha: setting.alpha,
        lambda: Number.isFinite(lambda) ? lambda : null,
        accuracy: meanOf(correct.map(Number)),
        correct: bits(correct),
      };
      if (testRows[0]?.logLikelihoods) {
        const scored = testRows.map((r) => ({
          logLikelihoods: r.logLikelihoods![k]!,
          labels: r.logLikelihoods![k]!.map((_, c) => (r.labels!.includes(c) ? 1 : 0)),
        }));
        const top = scored.map((q) => q.labels[argmax(q.logLikelihoods)] === 1);
        result.likelihoodAccuracy = meanOf(top.map(Number));
        result.likelihoodCorrect = bits(top);
        result.mc1 = mc1Paper(scored);
        result.mc2 = mc2Paper(scored);
        result.mc3 = mc3Paper(scored);
        if (
          result.label !== 'grid' &&
          setting.alpha === DEFAULT_STUDY_ALPHA &&
          lambda === Number.NEGATIVE_INFINITY
        )
          result.mc3Rows = scored.map((q) => Math.round(1e4 * mc3Paper([q])) / 1e4);
      }
      return result;
    });

    const end = performance.now();
    return {
      key: spec.key,
      task: spec.task,
      method: spec.method,
      budget: spec.budget,
      seed: spec.seed,
      warmStart: {
        steps: trained.steps,
        seconds: trained.seconds,
        firstLoss: trained.losses[0] ?? Number.NaN,
        lastLoss: trained.losses.at(-1) ?? Number.NaN,
      },
      calibration: {
        tokens: main.count,
        rows: main.rows,
        mean: finiteOrString(main.mean),
        optimal: finiteOrString(main.optimal),
        coverage: main.coverage,
        decisionReason: main.decision.reason,
        gridAccuracy: gridCorrect.map((c) => meanOf(Array.from(c))),
      },
      estimators,
      ...(ablationEstimators ? { ablationEstimators } : {}),
      test: { items: testRows.length, settings: results },
      seconds: {
        warmStart: (tWarm - started) / 1000,
        calibrate: (tCal - tWarm) / 1000,
        calibrationGrid: (tCalGrid - tCal) / 1000,
        test: (tTest - tCalGrid) / 1000,
        total: (end - started) / 1000,
      },
    };
  } finally {
    adapted.dispose();
  }
}

/**
 * The base model on a task's test split (once per task): greedy and likelihood accuracy, per item;
 * `rows` keeps the first rows only, as a study's runs do.
 */
export async function evaluateStudyBase(
  task: TaskName,
  model: TfjsCausalLM,
  tokenizer: Tokenizer,
  rows?: number,
): Promise<{ task: TaskName; accuracy: number; likelihoodAccuracy: number | null; correct: string }> {
  const head = <T>(xs: T[]) => (rows === undefined ? xs : xs.slice(0, rows));
  const m =
    taskKind(task) === 'open-ended'
      ? await evaluateOpenEnded(
          { model },
          tokenizer,
          head(await loadPromptCompletionJsonl(taskFile(task, 'test'))),
        )
      : await evaluateChoices(
          { model },
          tokenizer,
          head(await loadMultipleChoiceJsonl(taskFile(task, 'test'))),
        );
  return {
    task,
    accuracy: m.accuracy,
    likelihoodAccuracy: m.likelihoodAccuracy ?? null,
    correct: bits(m.rows.map((r) => r.isCorrect)),
  };
}

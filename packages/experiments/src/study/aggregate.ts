// Over 300 lines on purpose: the study's cells, intervals and the two decision rules (DECISIONS.md
// 15, 16) are one computation over the same records; the rules must read the cells as built here.
import { pairedBootstrap } from '@svdecode/eval';
import { ESTIMATORS, type EstimatorName } from './estimators.js';
import { ABLATION, BUDGET_NAMES, DEFAULT_STUDY_ALPHA, ORACLE_GRID } from './plan.js';
import type { SettingResult, StudyRunRecord } from './run.js';

/**
 * The study's numbers from its stored runs: per cell (task, method, budget) over seeds, every
 * estimator against PEFT with paired bootstrap intervals over test items, the oracle curves, the
 * cross-validated calibration gains the estimator rule reads, the ablations, and what steering is
 * worth in training.
 */

export interface BaseRecord {
  task: string;
  accuracy: number;
  likelihoodAccuracy: number | null;
  correct: string;
}

export interface Interval {
  mean: number;
  ci95: [number, number];
}

export interface EstimatorCell {
  /** The strength per seed. */
  mus: number[];
  accuracy: number;
  accuracySd: number;
  /** 95 % interval of the accuracy itself (items resampled; each item averaged over seeds). */
  accuracyCi95: [number, number];
  likelihoodAccuracy?: number;
  mc1?: number;
  mc2?: number;
  mc3?: number;
  /** estimator - PEFT, paired over test items (each item averaged over seeds). */
  difference: Interval;
  likelihoodDifference?: Interval;
  mc3Difference?: Interval;
  /** Cross-validated greedy accuracy gain over mu = 0 on the calibration split, mean over seeds. */
  calibrationGain: number;
}

export interface StudyCell {
  task: string;
  method: string;
  budget: string;
  learningRate: number;
  epochs: number;
  effort: number;
  seeds: number[];
  testItems: number;
  base: { accuracy: number; likelihoodAccuracy: number | null } | null;
  estimators: Record<EstimatorName, EstimatorCell>;
  /** Test accuracy at every grid strength, mean over seeds: a diagnostic that chooses nothing. */
  oracle: { mus: number[]; accuracy: number[]; best: { mu: number; accuracy: number; difference: Interval } };
  /** Calibration-split accuracy at every grid strength, mean over seeds. */
  calibrationCurve: number[];
  secondsPerRun: number;
  /** What `svdecode demo` would spend on one run of this cell: warm-start + calibration + test decoding (mean). */
  demoSecondsPerRun: number;
}

export interface AblationCell {
  task: string;
  alpha: number;
  lambda: number | null;
  /** estimator -> accuracy and difference against PEFT (mu = 0 is the same model at every alpha) */
  estimators: Record<
    'paperMean' | 'optimal' | 'guarded',
    { mus: number[]; accuracy: number; difference: Interval }
  >;
  oracle: { mus: number[]; accuracy: number[] };
  peftAccuracy: number;
}

const mean = (xs: readonly number[]) =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const perItem = (bits: readonly string[]) =>
  Array.from({ length: bits[0]!.length }, (_, i) => mean(bits.map((b) => (b[i] === '1' ? 1 : 0))));

export interface AggregateOptions {
  resamples?: number;
}

function interval(differences: number[], resamples: number): Interval {
  const b = pairedBootstrap(differences, { resamples, seed: 1234 });
  return { mean: b.mean, ci95: b.interval };
}

const isMain = (s: SettingResult) => s.alpha === DEFAULT_STUDY_ALPHA && s.lambda === null;

function findSetting(record: StudyRunRecord, label: SettingResult['label'], mu?: number): SettingResult {
  const s = record.test.settings.find(
    (x) => isMain(x) && x.label === label && (mu === undefined || x.mu === mu),
  );
  if (!s)
    throw new Error(`run ${record.key} has no ${label} setting${mu === undefined ? '' : ` at mu ${mu}`}`);
  return s;
}

/** Runs grouped by cell, cells in plan order (method, budget, task). */
export function groupCells(records: readonly StudyRunRecord[]): StudyRunRecord[][] {
  const groups = new Map<string, StudyRunRecord[]>();
  const order = (r: StudyRunRecord) =>
    `${['lora', 'ia3', 'prompt-tuning', 'p-tuning-v2'].indexOf(r.method)}.${BUDGET_NAMES.indexOf(r.budget.name)}.${['capitals', 'sentiment', 'wordnet', 'capitals-open'].indexOf(r.task)}`;
  for (const r of [...records].sort((a, b) => order(a).localeCompare(order(b)) || a.seed - b.seed)) {
    const key = `${r.task}|${r.method}|${r.budget.name}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

export function aggregateCell(
  runs: readonly StudyRunRecord[],
  bases: Record<string, BaseRecord>,
  options: AggregateOptions = {},
): StudyCell {
  const resamples = options.resamples ?? 10_000;
  const first = runs[0]!;
  const peft = runs.map((r) => findSetting(r, 'peft'));
  const peftItems = perItem(peft.map((s) => s.correct));
  const peftLikelihood = peft[0]!.likelihoodCorrect
    ? perItem(peft.map((s) => s.likelihoodCorrect!))
    : undefined;
  const peftMc3 = peft[0]!.mc3Rows
    ? Array.from(peft[0]!.mc3Rows, (_, i) => mean(peft.map((s) => s.mc3Rows![i]!)))
    : undefined;
  const estimators = {} as Record<EstimatorName, EstimatorCell>;
  for (const name of ESTIMATORS) {
    const settings = runs.map((r) => findSetting(r, name));
    const items = perItem(settings.map((s) => s.correct));
    const accuracyInterval = pairedBootstrap(items, { resamples: 2000, seed: 99 });
    const cell: EstimatorCell = {
      mus: settings.map((s) => s.mu),
      accuracy: mean(settings.map((s) => s.accuracy)),
      accuracySd: sd(settings.map((s) => s.accuracy)),
      accuracyCi95: accuracyInterval.interval,
      difference: interval(
        items.map((x, i) => x - peftItems[i]!),
        resamples,
      ),
      calibrationGain: mean(runs.map((r) => r.estimators[name].calibrationCV.gain)),
    };
    if (peftLikelihood && settings[0]!.likelihoodCorrect) {
      const li = perItem(settings.map((s) => s.likelihoodCorrect!));
      cell.likelihoodAccuracy = mean(settings.map((s) => s.likelihoodAccuracy!));
      cell.mc1 = mean(settings.map((s) => s.mc1!));
      cell.mc2 = mean(settings.map((s) => s.mc2!));
      cell.mc3 = mean(settings.map((s) => s.mc3!));
      cell.likelihoodDifference = interval(
        li.map((x, i) => x - peftLikelihood[i]!),
        resamples,
      );
      if (peftMc3 && settings[0]!.mc3Rows) {
        const m3 = Array.from(settings[0]!.mc3Rows, (_, i) => mean(settings.map((s) => s.mc3Rows![i]!)));
        cell.mc3Difference = interval(
          m3.map((x, i) => x - peftMc3[i]!),
          resamples,
        );
      }
    }
    estimators[name] = cell;
  }
  const oracleAccuracy = ORACLE_GRID.map((mu) => mean(runs.map((r) => findSetting(r, 'grid', mu).accuracy)));
  let bestK = ORACLE_GRID.indexOf(0);
  oracleAccuracy.forEach((a, k) => {
    if (a > oracleAccuracy[bestK]! + 1e-12) bestK = k;
  });
  const bestItems = perItem(runs.map((r) => findSetting(r, 'grid', ORACLE_GRID[bestK]).correct));
  const base = bases[first.task];
  return {
    task: first.task,
    method: first.method,
    budget: first.budget.name,
    learningRate: first.budget.learningRate,
    epochs: first.budget.epochs,
    effort: first.budget.effort,
    seeds: runs.map((r) => r.seed),
    testItems: first.test.items,
    base: base ? { accuracy: base.accuracy, likelihoodAccuracy: base.likelihoodAccuracy } : null,
    estimators,
    oracle: {
      mus: [...ORACLE_GRID],
      accuracy: oracleAccuracy,
      best: {
        mu: ORACLE_GRID[bestK]!,
        accuracy: oracleAccuracy[bestK]!,
        difference: interval(
          bestItems.map((x, i) => x - peftItems[i]!),
          resamples,
        ),
      },
    },
    calibrationCurve: ORACLE_GRID.map((_, k) => mean(runs.map((r) => r.calibration.gridAccuracy[k]!))),
    secondsPerRun: mean(runs.map((r) => r.seconds.total)),
    demoSecondsPerRun: mean(runs.map((r) => r.seconds.warmStart + r.seconds.calibrate + r.seconds.test)),
  };
}

export function aggregateAblation(
  runs: readonly StudyRunRecord[],
  options: AggregateOptions = {},
): AblationCell[] {
  const resamples = options.resamples ?? 10_000;
  const cells: AblationCell[] = [];
  const peftItems = perItem(runs.map((r) => findSetting(r, 'peft').correct));
  const peftAccuracy = mean(runs.map((r) => findSetting(r, 'peft').accuracy));
  for (const alpha of ABLATION.alphas)
    for (const lambda of ABLATION.lambdas) {
      const lam = Number.isFinite(lambda) ? lambda : null;
      const pick = (r: StudyRunRecord, label: SettingResult['label'], mu?: number) => {
        const s = r.test.settings.find(
          (x) =>
            x.alpha === alpha && x.lambda === lam && x.label === label && (mu === undefined || x.mu === mu),
        );
        if (!s) throw new Error(`run ${r.key} has no ablation setting alpha ${alpha} lambda ${lam} ${label}`);
        return s;
      };
      const estimators = {} as AblationCell['estimators'];
      for (const name of ['paperMean', 'optimal', 'guarded'] as const) {
        const settings = runs.map((r) => pick(r, name));
        const items = perItem(settings.map((s) => s.correct));
        estimators[name] = {
          mus: settings.map((s) => s.mu),
          accuracy: mean(settings.map((s) => s.accuracy)),
          difference: interval(
            items.map((x, i) => x - peftItems[i]!),
            resamples,
          ),
        };
      }
      cells.push({
        task: runs[0]!.task,
        alpha,
        lambda: lam,
        estimators,
        oracle: {
          mus: [...ORACLE_GRID],
          accuracy: ORACLE_GRID.map((mu) => mean(runs.map((r) => pick(r, 'grid', mu).accuracy))),
        },
        peftAccuracy,
      });
    }
  return cells;
}

/**
 * What steering is worth in training: the warm-start effort at which PEFT alone reaches the
 * steered accuracy, by linear interpolation of PEFT's accuracy against log effort over this
 * task and method's budgets, as a multiple of the cell's own effort. null when steering gains
 * nothing; Infinity when no budget studied gets PEFT that far.
 */
export function worthInTraining(
  cells: readonly StudyCell[],
  cell: StudyCell,
  estimator: EstimatorName | 'oracle',
): number | null {
  const target = estimator === 'oracle' ? cell.oracle.best.accuracy : cell.estimators[estimator].accuracy;
  const own = cell.estimators.peft.accuracy;
  if (!(target > own + 1e-12)) return null;
  const curve = cells
    .filter((c) => c.task === cell.task && c.method === cell.method)
    .map((c) => ({ x: Math.log(c.effort), y: c.estimators.peft.accuracy }))
    .sort((a, b) => a.x - b.x);
  const x0 = Math.log(cell.effort);
  // the first crossing above the cell's own effort
  for (let k = 0; k + 1 < curve.length; k++) {
    const a = curve[k]!;
    const b = curve[k + 1]!;
    if (b.x < x0) continue;
    const lo = Math.max(a.x, x0);
    const yLo = a.x >= x0 ? a.y : own;
    if (yLo >= target) return Math.exp(lo - x0);
    if (b.y >= target) {
      const t = (target - yLo) / (b.y - yLo);
      return Math.exp(lo + t * (b.x - lo) - x0);
    }
  }
  return Number.POSITIVE_INFINITY;
}

/** Rule 15 of DECISIONS.md: the estimator with the best mean cross-validated calibration gain. */
export function chooseDefaultEstimator(records: readonly StudyRunRecord[]): {
  gains: Record<EstimatorName, number>;
  chosen: EstimatorName;
  reason: string;
} {
  const gains = {} as Record<EstimatorName, number>;
  for (const name of ESTIMATORS)
    gains[name] = mean(records.map((r) => r.estimators[name].calibrationCV.gain));
  let best: EstimatorName = 'guarded';
  for (const name of ESTIMATORS) if (gains[name] > gains[best] + 1e-12) best = name;
  if (best === 'guarded' || gains[best] <= 0.005 || gains[best] <= gains.guarded + 1e-12)
    return {
      gains,
      chosen: 'guarded',
      reason: `no estimator's cross-validated calibration gain beats the guarded optimum's by more than a tie, or the best is at most +0.5 points (best: ${best}, ${(100 * gains[best]).toFixed(2)} points): the default stays`,
    };
  return {
    gains,
    chosen: best,
    reason: `${best} has the highest cross-validated calibration gain over mu = 0 (${(100 * gains[best]).toFixed(2)} points, mean of ${records.length} runs)`,
  };
}

/** Rule 16 of DECISIONS.md: the LoRA cell the demo shows. */
export function chooseDemoRegime(
  cells: readonly StudyCell[],
  estimator: EstimatorName,
  fallbackTask: string,
): { task: string; budget: string; calibrationGain: number; found: boolean; reason: string } {
  // rule 16: the cells whose demo fits 60 s here (warm-start + calibration + test decoding below 45 s)
  const candidates = cells.filter((c) => c.method === 'lora' && c.demoSecondsPerRun < 45);
  let best: StudyCell | undefined;
  const taskOrder = ['capitals', 'sentiment', 'wordnet', 'capitals-open'];
  for (const c of candidates) {
    const g = c.estimators[estimator].calibrationGain;
    if (
      !best ||
      g > best.estimators[estimator].calibrationGain + 1e-12 ||
      (Math.abs(g - best.estimators[estimator].calibrationGain) <= 1e-12 &&
        (c.effort < best.effort ||
          (c.effort === best.effort && taskOrder.indexOf(c.task) < taskOrder.indexOf(best.task))))
    )
      best = c;
  }
  if (!best || best.estimators[estimator].calibrationGain <= 0.005)
    return {
      task: fallbackTask,
      budget: 'd',
      calibrationGain: best?.estimators[estimator].calibrationGain ?? 0,
      found: false,
      reason: 'no LoRA cell that fits the demo gains more than +0.5 points on calibration data',
    };
  return {
    task: best.task,
    budget: best.budget,
    calibrationGain: best.estimators[estimator].calibrationGain,
    found: true,
    reason: `the LoRA cell with the largest cross-validated calibration gain of ${estimator} (${(100 * best.estimators[estimator].calibrationGain).toFixed(1)} points, mean of ${best.seeds.length} seeds) among those whose run takes under 45 s`,
  };
}

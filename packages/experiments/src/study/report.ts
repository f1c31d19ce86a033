// Over 300 lines on purpose: the study report is one document (JSON, markdown tables, figure
// calls) whose sections share the same derived numbers.
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@svdecode/hf-io';
import type { DemoRegime, TaskName } from '@svdecode/tiny';
import {
  type AblationCell,
  aggregateAblation,
  aggregateCell,
  type BaseRecord,
  chooseDefaultEstimator,
  chooseDemoRegime,
  groupCells,
  type StudyCell,
  worthInTraining,
} from './aggregate.js';
import { ESTIMATOR_LABELS, ESTIMATORS, type EstimatorName } from './estimators.js';
import { type Panel, panelsSvg } from './figures.js';
import {
  ABLATION,
  BUDGET_NAMES,
  type BudgetName,
  budget,
  ORACLE_GRID,
  STUDY_BUDGETS,
  studyPlan,
} from './plan.js';
import type { StudyRunRecord } from './run.js';

/** What the paper reports, beside which our numbers are read (its abstract). */
export const PAPER_REPORTED =
  'The paper reports, across three tasks and nine benchmarks with four PEFT methods on billion-parameter models, multiple-choice accuracy up to +5 points, open-ended truthfulness +2 points and commonsense +1-2 points.';

export interface StudyReport {
  description: string;
  machine: string;
  settings: Record<string, unknown>;
  completeness: { runs: number; planned: number; cells: number };
  rule: ReturnType<typeof chooseDefaultEstimator>;
  demo: ReturnType<typeof chooseDemoRegime>;
  verdict: Verdict;
  paperReported: string;
  /** Per method and budget, means over tasks (the dose-response at a glance). */
  byBudget: ReturnType<typeof byBudget>;
  cells: Array<StudyCell & { worth: Record<'default' | 'oracle', number | null> }>;
  ablation: AblationCell[];
  runs: unknown[];
}

export interface Verdict {
  estimator: EstimatorName;
  /** Cells where the default estimator's difference has a 95 % interval clear of zero. */
  helps: string[];
  hurts: string[];
  /** Cells where the best grid strength's interval is clear of zero (a diagnostic: chosen on test). */
  oracleHelps: string[];
  cells: number;
  sentence: string;
}

const cellName = (c: StudyCell) => `${c.task} / ${c.method} / ${c.budget}`;
const pct = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : (100 * x).toFixed(1);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const ci = (d: { mean: number; ci95: [number, number] } | undefined) =>
  d ? `${signed(d.mean)} [${signed(d.ci95[0])}, ${signed(d.ci95[1])}]` : '–';
const worthText = (w: number | null) =>
  w === null ? '–' : w === Number.POSITIVE_INFINITY ? '> studied' : `x${w.toFixed(w < 2 ? 2 : 1)}`;

function verdictOf(cells: readonly StudyCell[], estimator: EstimatorName): Verdict {
  const clearAbove = (c: StudyCell, e: EstimatorName) => c.estimators[e].difference.ci95[0] > 0;
  const clearBelow = (c: StudyCell, e: EstimatorName) => c.estimators[e].difference.ci95[1] < 0;
  const helping = cells.filter((c) => clearAbove(c, estimator));
  const helps = helping.map(cellName);
  const hurts = cells.filter((c) => clearBelow(c, estimator)).map(cellName);
  const oracleHelps = cells.filter((c) => c.oracle.best.difference.ci95[0] > 0).map(cellName);
  const methods = (list: readonly StudyCell[]) => [...new Set(list.map((c) => c.method))].join(', ');
  const paperHurts = cells.filter((c) => clearBelow(c, 'paperMean')).length;
  const sentence =
    helps.length === 0 && oracleHelps.length === 0
      ? `Steering helps nowhere in this study: no cell's interval is clear of zero, not even at the best strength chosen on test (${cells.length} cells).`
      : `With the default estimator (${estimator}) steering helps with an interval clear of zero in ${helps.length} of ${cells.length} cells${helping.length > 0 ? ` (${methods(helping)})` : ''} and hurts in ${hurts.length}; the paper's mean without a guard hurts in ${paperHurts}; the best strength chosen on test (a diagnostic) would help in ${oracleHelps.length}.`;
  return { estimator, helps, hurts, oracleHelps, cells: cells.length, sentence };
}

/** Per method and budget: the mean over tasks of PEFT accuracy and of each estimator's difference. */
function byBudget(cells: readonly StudyCell[]) {
  const keys = [...new Set(cells.map((c) => `${c.method}|${c.budget}`))];
  return keys.map((key) => {
    const [method, budgetName] = key.split('|') as [string, string];
    const mine = cells.filter((c) => c.method === method && c.budget === budgetName);
    const avg = (f: (c: StudyCell) => number) => mine.reduce((a, c) => a + f(c), 0) / mine.length;
    return {
      method,
      budget: budgetName,
      tasks: mine.length,
      peft: avg((c) => c.estimators.peft.accuracy),
      differences: Object.fromEntries(
        ESTIMATORS.map((e) => [e, avg((c) => c.estimators[e].difference.mean)]),
      ) as Record<EstimatorName, number>,
      oracle: avg((c) => c.oracle.best.accuracy - c.estimators.peft.accuracy),
    };
  });
}

function markdown(report: StudyReport): string {
  const { cells, rule, demo, verdict } = report;
  const est = ESTIMATORS.filter((e) => e !== 'peft');
  const lines = [
    '# Where steering helps: the study',
    '',
    `${report.completeness.runs} of ${report.completeness.planned} planned runs (${report.completeness.cells} cells of task x method x budget, seeds averaged). Greedy template accuracy on the test split (the headline); differences are estimator - PEFT in points with paired bootstrap 95 % intervals over test items (each item averaged over seeds). "oracle" is the best grid strength on test: a diagnostic that chooses nothing.`,
    '',
    `**Verdict.** ${verdict.sentence} ${report.paperReported}`,
    '',
    `**Default estimator (DECISIONS.md rule 15, calibration data only):** ${rule.chosen}: ${rule.reason}.`,
    '',
    `**Demo regime (rule 16):** ${demo.found ? `${demo.task}, LoRA at budget ${demo.budget}` : 'none found'}: ${demo.reason}.`,
    '',
    '## By budget: the dose-response at a glance',
    '',
    'Mean over the tasks of each cell\'s mean over seeds (points; each cell\'s interval is in the next table). "oracle" is a diagnostic.',
    '',
    `| method | budget | tasks | PEFT | ${est.map((e) => `${e} Δ`).join(' | ')} | oracle Δ |`,
    `| --- | --- | --- | --- | ${est.map(() => '---').join(' | ')} | --- |`,
    ...report.byBudget.map(
      (b) =>
        `| ${b.method} | ${b.budget} | ${b.tasks} | ${pct(b.peft)} | ${est.map((e) => signed(b.differences[e])).join(' | ')} | ${signed(b.oracle)} |`,
    ),
    '',
    '## Greedy accuracy, every cell',
    '',
    `| task | method | budget (lr x epochs) | base | PEFT | ${est.map((e) => `${e} Δ [95 % CI]`).join(' | ')} | oracle (diagnostic): mu, Δ | steering worth in training (${rule.chosen}) |`,
    `| --- | --- | --- | --- | --- | ${est.map(() => '---').join(' | ')} | --- | --- |`,
    ...cells.map(
      (c) =>
        `| ${c.task} | ${c.method} | ${c.budget} (${c.learningRate.toPrecision(2)} x ${c.epochs}) | ${pct(c.base?.accuracy)} | ${pct(c.estimators.peft.accuracy)} ± ${pct(c.estimators.peft.accuracySd)} | ${est.map((e) => ci(c.estimators[e].difference)).join(' | ')} | ${c.oracle.best.mu}, ${ci(c.oracle.best.difference)} | ${worthText(c.worth.default)} |`,
    ),
    '',
    'Strengths chosen (mean over seeds):',
    '',
    `| task | method | budget | ${est.map((e) => `mu ${e}`).join(' | ')} |`,
    `| --- | --- | --- | ${est.map(() => '---').join(' | ')} |`,
    ...cells.map(
      (c) =>
        `| ${c.task} | ${c.method} | ${c.budget} | ${est.map((e) => (c.estimators[e].mus.reduce((a, b) => a + b, 0) / c.estimators[e].mus.length).toPrecision(3)).join(' | ')} |`,
    ),
    '',
    "## Likelihood metrics (choice tasks): likelihood accuracy, and the paper's MC3 (MC1 = MC2 = likelihood accuracy here: one correct choice per question)",
    '',
    `| task | method | budget | PEFT likelihood acc. | PEFT MC3 | ${est.map((e) => `${e} Δ likelihood`).join(' | ')} | guarded Δ MC3 | ${rule.chosen} Δ MC3 |`,
    `| --- | --- | --- | --- | --- | ${est.map(() => '---').join(' | ')} | --- | --- |`,
    ...cells
      .filter((c) => c.estimators.peft.likelihoodAccuracy !== undefined)
      .map(
        (c) =>
          `| ${c.task} | ${c.method} | ${c.budget} | ${pct(c.estimators.peft.likelihoodAccuracy)} | ${pct(c.estimators.peft.mc3)} | ${est.map((e) => ci(c.estimators[e].likelihoodDifference)).join(' | ')} | ${ci(c.estimators.guarded.mc3Difference)} | ${ci(c.estimators[rule.chosen].mc3Difference)} |`,
      ),
    '',
    "## The estimator rule's input: cross-validated calibration gain over mu = 0 (points, mean over runs)",
    '',
    '| estimator | calibration gain |',
    '| --- | --- |',
    ...ESTIMATORS.map((e) => `| ${e} (${ESTIMATOR_LABELS[e]}) | ${signed(rule.gains[e])} |`),
    '',
    `## Ablations at ${ABLATION.method} ${ABLATION.budget} (the paper's Fig. 4: alpha; Eq. 13: lambda)`,
    '',
    '| task | alpha | lambda | PEFT | paper mean Δ | optimum Δ | guarded Δ | oracle best (diagnostic) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.ablation.map((a) => {
      const best = Math.max(...a.oracle.accuracy);
      return `| ${a.task} | ${a.alpha} | ${a.lambda === null ? '-Infinity' : a.lambda} | ${pct(a.peftAccuracy)} | ${ci(a.estimators.paperMean.difference)} | ${ci(a.estimators.optimal.difference)} | ${ci(a.estimators.guarded.difference)} | ${signed(best - a.peftAccuracy)} at mu ${a.oracle.mus[a.oracle.accuracy.indexOf(best)]} |`;
    }),
    '',
    '## Figures',
    '',
    ...[...new Set(cells.map((c) => c.method))].flatMap((m) => [
      `![accuracy against warm-start budget, ${m}](budget-${m}.svg)`,
      '',
      `![oracle curves, ${m}](oracle-${m}.svg)`,
      '',
    ]),
    ...(report.ablation.length > 0 ? ['![ablation: alpha and lambda](ablation.svg)', ''] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function budgetFigure(cells: readonly StudyCell[], method: string): string {
  const mine = cells.filter((c) => c.method === method);
  const tasks = [...new Set(mine.map((c) => c.task))];
  const panels: Panel[] = tasks.map((task) => {
    const tc = mine.filter((c) => c.task === task);
    return {
      title: task,
      series: ESTIMATORS.map((e) => ({
        name: e === 'peft' ? 'PEFT' : e,
        dashed: e !== 'peft' && e !== 'guarded',
        points: tc.map((c) => ({
          x: Math.log10(c.effort),
          y: 100 * c.estimators[e].accuracy,
          lo: 100 * c.estimators[e].accuracyCi95[0],
          hi: 100 * c.estimators[e].accuracyCi95[1],
        })),
      })),
    };
  });
  const names = STUDY_BUDGETS[method as keyof typeof STUDY_BUDGETS] ?? BUDGET_NAMES;
  return panelsSvg(panels, {
    title: `${method}: test accuracy against warm-start budget (mean of seeds, 95 % intervals)`,
    xLabel: 'warm-start effort (lr x epochs / default, log scale)',
    yLabel: 'greedy accuracy (%)',
    xTicks: names.map((n) => ({ at: Math.log10(budget(method as never, n).effort), label: n })),
  });
}

function oracleFigure(cells: readonly StudyCell[], method: string): string {
  const mine = cells.filter((c) => c.method === method);
  const tasks = [...new Set(mine.map((c) => c.task))];
  const panels: Panel[] = tasks.map((task) => ({
    title: task,
    series: mine
      .filter((c) => c.task === task)
      .map((c) => ({
        name: `budget ${c.budget}`,
        points: c.oracle.mus.map((mu, k) => ({
          x: mu,
          y: 100 * (c.oracle.accuracy[k]! - c.estimators.peft.accuracy),
        })),
      })),
  }));
  return panelsSvg(panels, {
    title: `${method}: test accuracy - PEFT against mu (oracle curves: a diagnostic)`,
    xLabel: 'mu',
    yLabel: 'accuracy - PEFT (points)',
    yRule: 0,
    xRule: 0,
  });
}

function ablationFigure(ablation: readonly AblationCell[]): string {
  const tasks = [...new Set(ablation.map((a) => a.task))];
  const panels: Panel[] = tasks.map((task) => ({
    title: task,
    series: ablation
      .filter((a) => a.task === task)
      .map((a) => ({
        name: `alpha ${a.alpha}, lambda ${a.lambda === null ? '-inf' : a.lambda}`,
        dashed: a.lambda !== null,
        points: a.oracle.mus.map((mu, k) => ({ x: mu, y: 100 * (a.oracle.accuracy[k]! - a.peftAccuracy) })),
      })),
  }));
  return panelsSvg(panels, {
    title: `Ablation at ${ABLATION.method} ${ABLATION.budget}: accuracy - PEFT against mu per alpha and lambda`,
    xLabel: 'mu',
    yLabel: 'accuracy - PEFT (points)',
    yRule: 0,
    xRule: 0,
  });
}

/** Builds the report object from stored runs (no files). */
export function buildStudyReport(
  records: readonly StudyRunRecord[],
  bases: Record<string, BaseRecord>,
  options: { resamples?: number; fallbackDemoTask?: string } = {},
): StudyReport {
  const groups = groupCells(records);
  const plain = groups.map((runs) => aggregateCell(runs, bases, options));
  const rule = chooseDefaultEstimator(records);
  const cells = plain.map((c) => ({
    ...c,
    worth: { default: worthInTraining(plain, c, rule.chosen), oracle: worthInTraining(plain, c, 'oracle') },
  }));
  const ablation = groups
    .filter((runs) => runs[0]!.method === ABLATION.method && runs[0]!.budget.name === ABLATION.budget)
    .flatMap((runs) => aggregateAblation(runs, options));
  return {
    description:
      'Where steering helps on the embedded default (@svdecode/tiny): greedy template accuracy (and likelihood metrics for the choice tasks) on each test split, per task x PEFT method x warm-start budget, 3 seeds; every estimator of the steering strength against PEFT with paired bootstrap 95 % intervals over test items; the oracle grid as a diagnostic.',
    machine: `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, Node ${process.version}`,
    settings: {
      grid: ORACLE_GRID,
      estimators: ESTIMATOR_LABELS,
      budgets: Object.fromEntries(
        Object.entries(STUDY_BUDGETS).map(([m, names]) => [m, names.map((n) => budget(m as never, n))]),
      ),
      ablation: { ...ABLATION, lambdas: ['-Infinity', 0] },
      decoding: 'greedy; multiple choice: 8 new tokens, open-ended: 12, stop at the end of the line',
      bootstrap: { resamples: options.resamples ?? 10_000, seed: 1234 },
    },
    completeness: { runs: records.length, planned: studyPlan().length, cells: cells.length },
    rule,
    demo: chooseDemoRegime(plain, rule.chosen, options.fallbackDemoTask ?? 'capitals-open'),
    verdict: verdictOf(plain, rule.chosen),
    paperReported: PAPER_REPORTED,
    byBudget: byBudget(plain),
    cells,
    ablation,
    runs: records.map((r) => ({
      key: r.key,
      task: r.task,
      method: r.method,
      budget: r.budget.name,
      learningRate: r.budget.learningRate,
      epochs: r.budget.epochs,
      seed: r.seed,
      warmStartLoss: [r.warmStart.firstLoss, r.warmStart.lastLoss],
      estimators: Object.fromEntries(
        ESTIMATORS.map((e) => {
          const s = r.test.settings.find((x) => x.label === e && x.alpha === 0.1 && x.lambda === null)!;
          return [
            e,
            {
              mu: r.estimators[e].mu,
              accuracy: s.accuracy,
              likelihoodAccuracy: s.likelihoodAccuracy ?? null,
              mc1: s.mc1 ?? null,
              mc2: s.mc2 ?? null,
              mc3: s.mc3 ?? null,
              calibrationCV: r.estimators[e].calibrationCV,
            },
          ];
        }),
      ),
      oracle: {
        mus: ORACLE_GRID,
        accuracy: ORACLE_GRID.map(
          (mu) =>
            r.test.settings.find(
              (x) => x.label === 'grid' && x.mu === mu && x.alpha === 0.1 && x.lambda === null,
            )!.accuracy,
        ),
      },
      seconds: r.seconds.total,
    })),
  };
}

/** The demo regime file's content (rule 16's cell, with the study's numbers for it). */
export function demoRegimeOf(report: StudyReport): DemoRegime {
  const { demo, rule } = report;
  const cell = report.cells.find(
    (c) => c.method === 'lora' && c.task === demo.task && c.budget === demo.budget,
  );
  const converged = report.cells.find(
    (c) => c.method === 'lora' && c.task === demo.task && c.budget === 'dx3',
  );
  const b = budget('lora', demo.budget as BudgetName);
  return {
    task: demo.task as TaskName,
    method: 'lora',
    budget: demo.budget,
    learningRate: b.learningRate,
    epochs: b.epochs,
    estimator: rule.chosen,
    found: demo.found,
    reason: demo.reason,
    calibrationGain: demo.calibrationGain,
    study: cell
      ? {
          peft: cell.estimators.peft.accuracy,
          steered: cell.estimators[rule.chosen].accuracy,
          difference: cell.estimators[rule.chosen].difference,
          seeds: cell.seeds.length,
        }
      : {
          peft: Number.NaN,
          steered: Number.NaN,
          difference: { mean: Number.NaN, ci95: [Number.NaN, Number.NaN] },
          seeds: 0,
        },
    converged: converged
      ? {
          budget: 'dx3',
          learningRate: converged.learningRate,
          epochs: converged.epochs,
          accuracy: converged.estimators.peft.accuracy,
          sd: converged.estimators.peft.accuracySd,
        }
      : null,
    verdict: report.verdict.sentence,
  };
}

/** Writes study.json, study.md and the figures into `outDir`; returns the files written. */
export async function writeStudyReport(
  records: readonly StudyRunRecord[],
  bases: Record<string, BaseRecord>,
  outDir: string,
  options: { resamples?: number; fallbackDemoTask?: string; demoRegimeFile?: string } = {},
): Promise<string[]> {
  const report = buildStudyReport(records, bases, options);
  if (options.demoRegimeFile)
    await writeFileAtomic(options.demoRegimeFile, `${JSON.stringify(demoRegimeOf(report), null, 2)}\n`);
  await mkdir(outDir, { recursive: true });
  const files: Array<[string, string]> = [
    [
      'study.json',
      `${JSON.stringify(report, (_k, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v), 2)}\n`,
    ],
    ['study.md', markdown(report)],
  ];
  for (const method of new Set(report.cells.map((c) => c.method))) {
    files.push([`budget-${method}.svg`, `${budgetFigure(report.cells, method)}\n`]);
    files.push([`oracle-${method}.svg`, `${oracleFigure(report.cells, method)}\n`]);
  }
  if (report.ablation.length > 0) files.push(['ablation.svg', `${ablationFigure(report.ablation)}\n`]);
  for (const [name, text] of files) await writeFileAtomic(join(outDir, name), text);
  return files.map(([name]) => name);
}

import { SvdecodeError } from '@svdecode/core';
import { type BootstrapInterval, pairedBootstrap } from '@svdecode/eval';
import {
  type BudgetName,
  ESTIMATORS,
  type EstimatorName,
  type ExperimentResult,
  runExperiment,
  budget as studyBudget,
} from '@svdecode/experiments';
import type { Method } from '@svdecode/peft-tfjs';
import { aggregatesOf, toJson } from '@svdecode/strength';
import {
  DEMO_TASK,
  type DemoRegime,
  loadDemoRegime,
  loadTiny,
  type TaskName,
  taskFile,
} from '@svdecode/tiny';
import { interruptSignal } from '../interrupt.js';
import type { CommonFlags } from '../options.js';
import { createProgress, note, type Progress } from '../progress.js';

import { decisionLine } from '../strength-report.js';

export interface DemoFlags extends CommonFlags {
  /** Absent: the study's demo regime (packages/tiny/demo/regime.json), else LoRA. */
  method?: Method;
  task?: TaskName;
  budget?: BudgetName;
  examples: number;
}

/** What the demo runs: the study's regime unless flags say otherwise. */
interface DemoPlan {
  task: TaskName;
  method: Method;
  budget: BudgetName;
  learningRate: number;
  epochs: number;
  /** The regime, when the demo runs it as the study chose it (then its numbers are shown). */
  regime: DemoRegime | null;
  estimator: EstimatorName;
}

async function planDemo(flags: DemoFlags): Promise<DemoPlan> {
  const regime = await loadDemoRegime();
  const method = flags.method ?? 'lora';
  const task = flags.task ?? regime?.task ?? DEMO_TASK;
  const name = flags.budget ?? ((regime?.budget ?? 'd') as BudgetName);
  const b = studyBudget(method, name);
  const asChosen = regime !== null && regime.task === task && regime.budget === name && method === 'lora';
  return {
    task,
    method,
    budget: name,
    learningRate: b.learningRate,
    epochs: b.epochs,
    regime: asChosen ? regime : null,
    estimator: estimatorOf(regime),
  };
}

/** The regime file's estimator (tiny stores it as a string: it does not depend on the study's code). */
function estimatorOf(regime: DemoRegime | null): EstimatorName {
  const name = regime?.estimator ?? 'guarded';
  if ((ESTIMATORS as readonly string[]).includes(name)) return name as EstimatorName;
  throw new SvdecodeError(
    'CONFIG_INVALID',
    `demo/regime.json names an unknown strength estimator "${name}"`,
    {
      hint: `Known estimators: ${ESTIMATORS.join(', ')}. Rebuild it with the study (pnpm study).`,
    },
  );
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);

const budgetText = (p: { budget: string; learningRate: number; epochs: number }) =>
  `${p.budget}: lr ${Number(p.learningRate.toPrecision(2))}, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}`;

function table(r: ExperimentResult, plan: DemoPlan): string {
  const w = 42;
  const row = (name: string, m: { accuracy: number; likelihoodAccuracy?: number } | undefined) =>
    `  ${name.padEnd(w)}${pct(m?.accuracy).padStart(10)}${r.peft.likelihoodAccuracy === undefined ? '' : pct(m?.likelihoodAccuracy).padStart(16)}`;
  const converged = plan.regime?.converged;
  return [
    `  ${'variant'.padEnd(w)}${'greedy'.padStart(10)}${r.peft.likelihoodAccuracy === undefined ? '' : 'likelihood'.padStart(16)}`,
    row('base model', r.base),
    row(`${r.method} (${budgetText(plan)})`, r.peft),
    row(`${r.method} + SVDecode`, r.svdecode),
    ...(converged
      ? [
          `  ${`${r.method} converged (${budgetText(converged)})`.padEnd(w)}${pct(converged.accuracy).padStart(10)}   (the study, ${plan.regime!.study.seeds} seeds)`,
        ]
      : []),
  ].join('\n');
}

/** One sentence: what the study found, and why the demo runs where it does. */
function studySentence(plan: DemoPlan): string {
  const regime = plan.regime;
  if (!regime) return 'The study of where steering helps is in packages/tiny/results/study/study.md.';
  const d = regime.study.difference;
  return regime.found
    ? `The study: ${regime.verdict} This cell was chosen on calibration data (${regime.reason}); on test the study measured ${points(d.mean)} points [${points(d.ci95[0])}, ${points(d.ci95[1])}] over ${regime.study.seeds} seeds.`
    : `The study found no regime where steering helps on calibration data, so the demo shows the default budget: ${regime.verdict}`;
}

const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** One sentence that says what the interval allows one to conclude. */
function reading(r: ExperimentResult, d: BootstrapInterval): string {
  if (r.muBar === 0)
    return `Reading: the ${r.estimator === 'guarded' ? 'strength guard' : `${r.estimator} estimator`} found no support for steering on calibration data (mu_bar = 0), so SVDecode decoded as PEFT alone.`;
  if (d.interval[0] > 0)
    return `Reading: SVDecode improved on ${r.method} alone on this task; the interval excludes zero.`;
  if (d.interval[1] < 0)
    return `Reading: SVDecode did worse than ${r.method} alone on this task; the interval excludes zero.`;
  return `Reading: the difference is within what resampling the ${d.items} test items gives; this run cannot tell SVDecode from ${r.method} alone.`;
}

/**
 * The main job on the embedded default: warm-start a PEFT adapter on a task's train split,
 * calibrate mu_bar on its calibration split, and compare base / PEFT / PEFT + SVDecode on its test
 * split, with a few generations side by side.
 */
export async function demoCommand(flags: DemoFlags): Promise<void> {
  const plan = await planDemo(flags);
  note(
    `svdecode demo: ${plan.method} on the embedded model, task "${plan.task}" (${taskFile(plan.task, 'test')}), warm-start budget ${budgetText(plan)}${plan.regime ? " (the study's demo regime, DECISIONS.md rule 16)" : ''}`,
    flags.quiet,
  );
  const { model, tokenizer } = await loadTiny();
  const signal = interruptSignal();
  const bars: Partial<Record<string, Progress>> = {};
  const bar = (name: string) => {
    bars[name] ??= createProgress(name, flags);
    return bars[name]!;
  };
  let result: ExperimentResult;
  try {
    result = await runExperiment({
      task: plan.task,
      method: plan.method,
      warmStart: { learningRate: plan.learningRate, epochs: plan.epochs },
      estimator: plan.estimator,
      model,
      tokenizer,
      signal,
      onProgress: (e) => {
        if (e.phase === 'warm-start')
          bar('warm-start').update({
            done: e.step,
            total: e.totalSteps,
            detail: `loss ${e.loss.toFixed(3)}  ${Math.round(e.tokensPerSecond)} tok/s`,
            etaSeconds: e.etaSeconds,
          });
        else if (e.phase === 'calibrate') {
          bars['warm-start']?.stop();
          bar('calibrate').update({
            done: e.rows,
            total: e.totalRows,
            detail: `${e.tokens} tokens`,
            etaSeconds: e.etaSeconds,
          });
        } else {
          bars.calibrate?.stop();
          note(`evaluating ${e.variant} on the test split`, flags.quiet);
        }
      },
    });
  } finally {
    for (const b of Object.values(bars)) b?.stop();
    model.dispose();
  }
  const examples = result.peft.rows.slice(0, flags.examples).map((row, i) => ({
    question: row.question,
    answer: row.answer,
    peft: row.generated,
    svdecode: result.svdecode.rows[i]!.generated,
  }));
  // PEFT + SVDecode - PEFT, paired over the test items (one seed: the interval covers item sampling)
  const difference = pairedBootstrap(
    result.peft.rows.map((row, i) => Number(result.svdecode.rows[i]!.isCorrect) - Number(row.isCorrect)),
  );
  if (flags.json) {
    const strip = (m: typeof result.peft | undefined) =>
      m && { accuracy: m.accuracy, likelihoodAccuracy: m.likelihoodAccuracy ?? null };
    process.stdout.write(
      `${toJson({
        task: result.task,
        method: result.method,
        budget: { name: plan.budget, learningRate: plan.learningRate, epochs: plan.epochs },
        estimator: result.estimator,
        muBar: result.muBar,
        aggregate: result.aggregate,
        alpha: result.alpha,
        aggregates: aggregatesOf(result.calibration),
        decision: result.decision,
        crossValidation: result.calibration.crossValidation,
        coverage: result.calibration.coverage,
        warmStart: result.warmStart,
        base: strip(result.base),
        peft: strip(result.peft),
        svdecode: strip(result.svdecode),
        difference: { mean: difference.mean, ci95: difference.interval, items: difference.items },
        examples,
        regime: plan.regime,
        study: studySentence(plan),
        seconds: result.seconds,
      })}\n`,
    );
    return;
  }
  const lines = [
    '',
    `task ${result.task}: test-split accuracy (greedy generation${result.peft.likelihoodAccuracy === undefined ? ', normalised exact match' : '; and best choice by likelihood'})`,
    table(result, plan),
    `  PEFT + SVDecode - PEFT: ${points(difference.mean)} points, 95 % interval [${points(difference.interval[0])}, ${points(difference.interval[1])}] over ${difference.items} test items (paired bootstrap)`,
    `  ${reading(result, difference)}`,
    `  ${result.estimator === 'guarded' ? decisionLine(result.decision) : `mu_bar = ${result.muBar.toPrecision(4)} (${result.estimator}, the study's default estimator; the guarded optimum would be ${result.decision.mu.toPrecision(4)})`}`,
    `  (the paper's mean: ${result.calibration.mean.toPrecision(4)}; from ${result.calibration.count} calibration tokens of ${result.calibration.rows} rows)`,
    ...(result.calibration.coverage.warning ? [`  warning: ${result.calibration.coverage.warning}`] : []),
    `  warm-start: ${result.warmStart.steps} steps, lr ${result.warmStart.learningRate}, ${result.warmStart.seconds.toFixed(1)} s; whole run ${result.seconds.toFixed(0)} s`,
    '',
    'generations (PEFT | PEFT + SVDecode | correct answer):',
    ...examples.map(
      (e) =>
        `  ${e.question.split('\n')[0]!.replace(/^.*question: /, '')}\n    ${JSON.stringify(e.peft)} | ${JSON.stringify(e.svdecode)} | ${JSON.stringify(e.answer)}`,
    ),
    '',
    `  ${studySentence(plan)}`,
    '',
    'One seed of one method on one task: the study (every task, method and budget, three seeds, intervals)',
    'is in packages/tiny/results/study/study.md (@svdecode/tiny).',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

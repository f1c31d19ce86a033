import { type BootstrapInterval, pairedBootstrap } from '@svdecode/eval';
import type { Method } from '@svdecode/peft-tfjs';
import { type ExperimentResult, loadTiny, runExperiment, type TaskName, taskFile } from '@svdecode/tiny';
import { interruptSignal } from '../interrupt.js';
import type { CommonFlags } from '../options.js';
import { createProgress, note, type Progress } from '../progress.js';
import { aggregatesOf, toJson } from '../steering-file.js';
import { decisionLine } from '../strength-report.js';

export interface DemoFlags extends CommonFlags {
  method: Method;
  task: TaskName;
  examples: number;
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);

function table(r: ExperimentResult): string {
  const row = (name: string, m: { accuracy: number; likelihoodAccuracy?: number } | undefined) =>
    `  ${name.padEnd(20)}${pct(m?.accuracy).padStart(10)}${r.peft.likelihoodAccuracy === undefined ? '' : pct(m?.likelihoodAccuracy).padStart(16)}`;
  return [
    `  ${'variant'.padEnd(20)}${'greedy'.padStart(10)}${r.peft.likelihoodAccuracy === undefined ? '' : 'likelihood'.padStart(16)}`,
    row('base model', r.base),
    row(`${r.method} (1 epoch)`, r.peft),
    row(`${r.method} + SVDecode`, r.svdecode),
  ].join('\n');
}

const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** One sentence that says what the interval allows one to conclude. */
function reading(r: ExperimentResult, d: BootstrapInterval): string {
  if (r.decision.mu === 0)
    return 'Reading: the strength guard found no held-out support for steering (mu_bar = 0), so SVDecode decoded as PEFT alone.';
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
  note(
    `svdecode demo: ${flags.method} on the embedded model, task "${flags.task}" (${taskFile(flags.task, 'test')})`,
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
      task: flags.task,
      method: flags.method,
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
        seconds: result.seconds,
      })}\n`,
    );
    return;
  }
  const lines = [
    '',
    `task ${result.task}: test-split accuracy (greedy generation${result.peft.likelihoodAccuracy === undefined ? ', normalised exact match' : '; and best choice by likelihood'})`,
    table(result),
    `  PEFT + SVDecode - PEFT: ${points(difference.mean)} points, 95 % interval [${points(difference.interval[0])}, ${points(difference.interval[1])}] over ${difference.items} test items (paired bootstrap)`,
    `  ${reading(result, difference)}`,
    `  ${decisionLine(result.decision)}`,
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
    'One seed of one method on one task: the replication table (every task and method, three seeds, intervals)',
    'is in packages/tiny/README.md (@svdecode/tiny).',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

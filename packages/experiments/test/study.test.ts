import { evaluateOpenEnded, evaluateOpenEndedGrid, loadPromptCompletionJsonl } from '@svdecode/eval';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '@svdecode/tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyCell } from '../src/index.js';
import {
  budget,
  buildStudyReport,
  chooseDefaultEstimator,
  chooseDemoRegime,
  crossValidatedAccuracy,
  ESTIMATORS,
  evaluateStudyBase,
  ORACLE_GRID,
  runStudyRun,
  type StudyRunRecord,
  studyPlan,
  tunedGuardedStrength,
  tunedStrength,
  worthInTraining,
} from '../src/index.js';

process.env.SVDECODE_QUIET = '1';

describe('the study plan', () => {
  it('has 5 budgets for LoRA and IA3, 3 for the prompt methods, 4 tasks, 3 seeds, unique keys', () => {
    const plan = studyPlan();
    expect(plan).toHaveLength(4 * (5 + 5 + 3 + 3) * 3);
    expect(new Set(plan.map((r) => r.key)).size).toBe(plan.length);
    expect(plan.filter((r) => r.ablation).every((r) => r.method === 'lora' && r.budget.name === 'd/3')).toBe(
      true,
    );
    expect(plan.filter((r) => r.ablation)).toHaveLength(12);
    // LoRA first, so that a partial study holds whole methods
    expect(plan.slice(0, 60).every((r) => r.method === 'lora')).toBe(true);
  });

  it('ladders from the paper setting to a converged adapter', () => {
    expect(budget('lora', 'paper')).toMatchObject({ learningRate: 5e-5, epochs: 1 });
    expect(budget('lora', 'd/10').learningRate).toBeCloseTo(1e-4, 12);
    expect(budget('lora', 'd')).toMatchObject({ learningRate: 1e-3, epochs: 1, effort: 1 });
    expect(budget('lora', 'dx3')).toMatchObject({ learningRate: 1e-3, epochs: 3, effort: 3 });
    expect(budget('ia3', 'paper').effort).toBeCloseTo(5e-3, 12);
    expect(ORACLE_GRID[0]).toBe(-4);
    expect(ORACLE_GRID.at(-1)).toBe(4);
    expect(ORACLE_GRID).toContain(0);
    expect(ORACLE_GRID).toContain(-0.25);
  });
});

describe('estimators on the calibration split', () => {
  const grid = [-1, 0, 1];
  const rows = 8;
  const at = (ones: number[]) => Uint8Array.from({ length: rows }, (_, r) => (ones.includes(r) ? 1 : 0));

  it('tuned: the best grid strength, ties to the smallest |mu|', () => {
    expect(tunedStrength(grid, [at([0, 1]), at([0, 1]), at([0])])).toBe(0);
    expect(tunedStrength(grid, [at([0, 1, 2]), at([0, 1]), at([0, 1, 2])])).toBe(-1);
    expect(tunedStrength(grid, [at([]), at([0]), at([0, 1])])).toBe(1);
    // only the rows the filter keeps count
    expect(tunedStrength(grid, [at([5]), at([]), at([])], (r) => r < 4)).toBe(0);
  });

  it('tunedGuarded keeps a strength only beyond two standard errors of the row differences', () => {
    // one row won, none lost: z = 1, not enough
    expect(tunedGuardedStrength(grid, [at([]), at([]), at([0])])).toBe(0);
    // six rows won out of eight: kept
    expect(tunedGuardedStrength(grid, [at([]), at([]), at([0, 1, 2, 3, 4, 5])])).toBe(1);
  });

  it('cross-validated accuracy judges each row at its fold strength', () => {
    const foldOf = Uint8Array.from([0, 0, 1, 1]);
    const correct = new Map([
      [0, Uint8Array.from([1, 0, 0, 0])],
      [2, Uint8Array.from([1, 1, 1, 1])],
    ]);
    const cv = crossValidatedAccuracy(
      foldOf,
      2,
      (f) => (f === 0 ? 2 : 0),
      (mu) => correct.get(mu)!,
    );
    expect(cv.accuracy).toBe(2 / 4); // rows 0,1 at mu 2 (both right), rows 2,3 at mu 0 (both wrong)
    expect(cv.gain).toBe(1 / 4);
  });
});

function fakeCell(
  task: string,
  budgetName: string,
  effort: number,
  peft: number,
  guarded: number,
  gain = 0,
): StudyCell {
  const est = (accuracy: number) => ({
    mus: [0],
    accuracy,
    accuracySd: 0,
    accuracyCi95: [accuracy, accuracy] as [number, number],
    difference: { mean: accuracy - peft, ci95: [accuracy - peft, accuracy - peft] as [number, number] },
    calibrationGain: gain,
  });
  return {
    task,
    method: 'lora',
    budget: budgetName,
    learningRate: 1e-3 * effort,
    epochs: 1,
    effort,
    seeds: [0, 1, 2],
    testItems: 10,
    base: null,
    estimators: Object.fromEntries(ESTIMATORS.map((e) => [e, est(e === 'peft' ? peft : guarded)])) as never,
    oracle: {
      mus: [0],
      accuracy: [guarded],
      best: { mu: 0, accuracy: guarded, difference: { mean: 0, ci95: [0, 0] } },
    },
    calibrationCurve: [0],
    secondsPerRun: 10,
    demoSecondsPerRun: 8,
  };
}

describe('reading the study', () => {
  it('worth in training: the effort at which PEFT alone reaches the steered accuracy, as a multiple', () => {
    const cells = [
      fakeCell('t', 'a', 0.1, 0.4, 0.5),
      fakeCell('t', 'b', 1, 0.6, 0.6),
      fakeCell('t', 'c', 10, 0.7, 0.7),
    ];
    // 0.5 is half way from 0.4 (effort 0.1) to 0.6 (effort 1) in log effort: effort 10^-0.5, x3.16
    expect(worthInTraining(cells, cells[0]!, 'guarded')).toBeCloseTo(10 ** 0.5, 6);
    expect(worthInTraining(cells, cells[1]!, 'guarded')).toBeNull(); // no gain
    const beyond = [fakeCell('t', 'a', 0.1, 0.4, 0.9), fakeCell('t', 'b', 1, 0.6, 0.6)];
    expect(worthInTraining(beyond, beyond[0]!, 'guarded')).toBe(Number.POSITIVE_INFINITY);
  });

  it('the demo regime rule: the largest calibration gain among fast LoRA cells, else none found', () => {
    const cells = [
      fakeCell('capitals', 'd/3', 0.3, 0.5, 0.5, 0.02),
      fakeCell('capitals-open', 'd/10', 0.1, 0.5, 0.5, 0.04),
    ];
    expect(chooseDemoRegime(cells, 'guarded', 'capitals-open')).toMatchObject({
      task: 'capitals-open',
      budget: 'd/10',
      found: true,
    });
    const flat = [fakeCell('capitals', 'd/3', 0.3, 0.5, 0.5, 0.001)];
    expect(chooseDemoRegime(flat, 'guarded', 'capitals-open')).toMatchObject({ found: false, budget: 'd' });
  });
});

describe('on the embedded model', () => {
  let tiny: Awaited<ReturnType<typeof loadTiny>>;
  beforeAll(async () => {
    tiny = await loadTiny();
  });
  afterAll(() => tiny.model.dispose());

  it('the strength grid decodes what evaluateOpenEnded decodes at each strength (demo LoRA)', async () => {
    const adapted = await loadAdapter(tiny.model, TINY_DEMO_ADAPTER_DIR);
    try {
      const rows = (await loadPromptCompletionJsonl(taskFile('capitals-open', 'test'))).slice(0, 12);
      const mus = [-2, 0, 1.5];
      const grid = await evaluateOpenEndedGrid(
        adapted,
        tiny.tokenizer,
        rows,
        mus.map((mu) => ({ mu, alpha: 0.1 })),
      );
      for (const [k, mu] of mus.entries()) {
        const one = await evaluateOpenEnded(
          mu === 0 ? { model: adapted } : { model: adapted, steer: { mu, alpha: 0.1 } },
          tiny.tokenizer,
          rows,
        );
        expect(grid.map((g) => g.generated[k])).toEqual(one.rows.map((r) => r.generated));
      }
    } finally {
      adapted.dispose();
    }
  });

  it('one study run: every estimator and the oracle grid from one adapter, stored and reported', async () => {
    const spec = studyPlan({
      tasks: ['capitals-open'],
      methods: ['lora'],
      budgets: ['d/10'],
      seeds: [0],
    })[0]!;
    const record: StudyRunRecord = await runStudyRun({ spec, ...tiny });
    expect(record).toMatchObject({ task: 'capitals-open', method: 'lora', seed: 0, test: { items: 90 } });
    const main = record.test.settings.filter((s) => s.alpha === 0.1 && s.lambda === null);
    expect(main.filter((s) => s.label === 'grid').map((s) => s.mu)).toEqual(ORACLE_GRID);
    for (const e of ESTIMATORS) {
      const s = main.find((x) => x.label === e)!;
      expect(s.mu).toBe(record.estimators[e].mu);
      expect(s.correct).toHaveLength(90);
      expect(s.accuracy).toBeCloseTo([...s.correct].filter((c) => c === '1').length / 90, 12);
    }
    // mu = 0 on the grid is PEFT, the same decodes
    expect(main.find((s) => s.label === 'grid' && s.mu === 0)!.correct).toBe(
      main.find((s) => s.label === 'peft')!.correct,
    );
    expect(record.estimators.peft.calibrationCV.gain).toBe(0);
    expect(record.calibration.gridAccuracy).toHaveLength(ORACLE_GRID.length);

    const base = await evaluateStudyBase('capitals-open', tiny.model, tiny.tokenizer);
    const report = buildStudyReport([record], { 'capitals-open': base }, { resamples: 200 });
    expect(report.cells).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ task: 'capitals-open', method: 'lora', budget: 'd/10', seed: 0 });
    expect(report.cells[0]!.base!.accuracy).toBe(base.accuracy);
    expect(report.rule.chosen).toBe(chooseDefaultEstimator([record]).chosen);
  }, 120_000);
});

import { SvdecodeError } from '@svdecode/core';
import { DEFAULT_ALPHA } from '@svdecode/kl-gradient';
import type { Method } from '@svdecode/peft-tfjs';
import { TASKS, type TaskName } from '@svdecode/tiny';
import { TINY_LEARNING_RATES } from '../learning-rates.js';

/**
 * A warm-start budget: how much training the adapter gets before steering. `effort` is the
 * budget's learning rate x epochs relative to the method's default (TINY_LEARNING_RATES, one
 * epoch), the axis on which "what steering is worth in training" is read.
 */
export interface Budget {
  name: BudgetName;
  /** The learning rate of this method at this budget. */
  learningRate: number;
  epochs: number;
  effort: number;
}

/**
 * The budget ladder (DECISIONS.md entry 14), from the paper's setting to a converged adapter:
 * `paper` is lr 5e-5, batch 1, one epoch (the paper's PEFT setting); `d/10` and `d/3` are a tenth
 * and a third of the method's default rate for one epoch (under-trained); `d` the default for one
 * epoch (what the replication table used); `dx3` the default for three epochs (converged).
 */
export const BUDGET_NAMES = ['paper', 'd/10', 'd/3', 'd', 'dx3'] as const;
export type BudgetName = (typeof BUDGET_NAMES)[number];

const LADDER: Record<BudgetName, { scale: number | 'paper'; epochs: number }> = {
  paper: { scale: 'paper', epochs: 1 },
  'd/10': { scale: 0.1, epochs: 1 },
  'd/3': { scale: 1 / 3, epochs: 1 },
  d: { scale: 1, epochs: 1 },
  dx3: { scale: 1, epochs: 3 },
};

/** The paper's warm-start learning rate (batch 1, one epoch). */
export const PAPER_LEARNING_RATE = 5e-5;

export function budget(method: Method, name: BudgetName): Budget {
  const { scale, epochs } = LADDER[name];
  const base = TINY_LEARNING_RATES[method];
  const learningRate = scale === 'paper' ? PAPER_LEARNING_RATE : base * scale;
  return { name, learningRate, epochs, effort: (learningRate / base) * epochs };
}

/** Which budgets each method is studied at: LoRA and IA3 at all five, the prompt methods at three. */
export const STUDY_BUDGETS: Record<Method, readonly BudgetName[]> = {
  lora: BUDGET_NAMES,
  ia3: BUDGET_NAMES,
  'prompt-tuning': ['d/10', 'd/3', 'd'],
  'p-tuning-v2': ['d/10', 'd/3', 'd'],
};

/** The oracle grid of strengths (a diagnostic): -4..4, steps of 0.25 within +-1. */
export const ORACLE_GRID: readonly number[] = [
  -4, -3, -2, -1.5, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4,
];

/** The paper's ablations (its Fig. 4 and the text of its Eq. 13), run at one under-trained budget. */
export const ABLATION = {
  method: 'lora' as Method,
  budget: 'd/3' as BudgetName,
  alphas: [0.05, 0.1, 0.2, 0.5] as const,
  lambdas: [Number.NEGATIVE_INFINITY, 0] as const,
};

/** The study decodes at the paper's (and the library's) default confidence threshold. */
export const DEFAULT_STUDY_ALPHA = DEFAULT_ALPHA;

export interface StudyRunSpec {
  key: string;
  task: TaskName;
  method: Method;
  budget: Budget;
  seed: number;
  /** Whether this run also decodes the alpha x lambda ablation settings. */
  ablation: boolean;
  /** Only the first `rows` rows of each split (a small study for tests and benchmarks); absent: all. */
  rows?: number;
}

/** A run's key: its file name in the store and its job id on a queue (a row limit is part of it). */
export const runKey = (task: string, method: string, budgetName: string, seed: number, rows?: number) =>
  `${task}.${method}.${budgetName.replace('/', '_')}.s${seed}${rows === undefined ? '' : `.n${rows}`}`;

export interface PlanOptions {
  tasks?: readonly TaskName[];
  methods?: readonly Method[];
  seeds?: readonly number[];
  budgets?: readonly BudgetName[];
  /** Only the first `rows` rows of each split (see `StudyRunSpec.rows`). */
  rows?: number;
}

/**
 * Every run of the study, LoRA first, then IA3, then the prompt methods; within a method by
 * budget, task and seed, so that a partial study holds whole methods.
 */
export function studyPlan(options: PlanOptions = {}): StudyRunSpec[] {
  const tasks = options.tasks ?? TASKS;
  const methods = options.methods ?? (['lora', 'ia3', 'prompt-tuning', 'p-tuning-v2'] as Method[]);
  const seeds = options.seeds ?? [0, 1, 2];
  const unknown = (what: string, given: readonly string[], known: readonly string[]) => {
    const bad = given.filter((x) => !known.includes(x));
    if (bad.length > 0)
      throw new SvdecodeError('BAD_ARGUMENT', `unknown ${what}: ${bad.join(', ')}`, {
        hint: `Known ${what}: ${known.join(', ')}.`,
      });
  };
  unknown('tasks', tasks, TASKS);
  unknown('methods', methods, Object.keys(STUDY_BUDGETS));
  unknown('budgets', options.budgets ?? [], BUDGET_NAMES);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new SvdecodeError('BAD_ARGUMENT', `seeds must be non-negative integers, got ${seeds.join(', ')}`);
  if (options.rows !== undefined && !(Number.isInteger(options.rows) && options.rows >= 2))
    throw new SvdecodeError('BAD_ARGUMENT', `rows must be an integer >= 2, got ${options.rows}`, {
      hint: 'Leave rows out to use whole splits; a small study needs at least two rows per split.',
    });
  const runs: StudyRunSpec[] = [];
  for (const method of methods)
    for (const name of STUDY_BUDGETS[method]) {
      if (options.budgets && !options.budgets.includes(name)) continue;
      for (const task of tasks)
        for (const seed of seeds)
          runs.push({
            key: runKey(task, method, name, seed, options.rows),
            task,
            method,
            budget: budget(method, name),
            seed,
            ablation: method === ABLATION.method && name === ABLATION.budget,
            ...(options.rows === undefined ? {} : { rows: options.rows }),
          });
    }
  return runs;
}

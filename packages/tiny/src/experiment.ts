import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import { loadMultipleChoiceJsonl, loadPromptCompletionJsonl } from '@svdecode/eval';
import {
  AdaptedModel,
  createAdapter,
  defaultAdapterConfig,
  type Method,
  type TrainingExample,
  type WarmStartOptions,
  warmStart,
} from '@svdecode/peft';
import { type CalibrationProgress, calibrate, type StrengthSummary } from '@svdecode/strength';
import { type TaskName, taskFile, taskKind } from './embedded.js';
import { type Decoder, evaluateChoices, evaluateOpenEnded, type SplitMetrics } from './evaluate-task.js';

export type Aggregate = 'optimal' | 'mean' | 'median' | 'trimmedMean' | 'pooled';

/** Learning rates of the embedded default's warm-start, per method (see the README for why not 5e-5). */
export const TINY_LEARNING_RATES: Record<Method, number> = {
  lora: 1e-3,
  ia3: 1e-2,
  'prompt-tuning': 1e-2,
  'p-tuning-v2': 1e-3,
};

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
  /** Overrides of the warm-start (default: 1 epoch, batch 1, the method's rate in TINY_LEARNING_RATES, seed 0). */
  warmStart?: WarmStartOptions;
  /** How mu_bar is aggregated from the calibration tokens (default 'optimal', METHOD.md section 4). */
  aggregate?: Aggregate;
  alpha?: number;
  /** Evaluate the base model too (default true; the replication script computes it once per task). */
  evaluateBase?: boolean;
  onProgress?: (event: ExperimentEvent) => void;
  signal?: AbortSignal;
}

export interface ExperimentResult {
  task: TaskName;
  method: Method;
  muBar: number;
  aggregate: Aggregate;
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
  base?: SplitMetrics;
  peft: SplitMetrics;
  svdecode: SplitMetrics;
  seconds: number;
}

/** Prompt/completion text rows as token ids: BOS before the prompt, EOS after the completion. */
export function encodeRows(
  tokenizer: Tokenizer,
  rows: readonly { prompt: string; completion: string }[],
): TrainingExample[] {
  const bos = tokenizer.bosTokenId === undefined ? [] : [tokenizer.bosTokenId];
  const eos = tokenizer.eosTokenIds.slice(0, 1);
  return rows.map((r) => ({
    prompt: [...bos, ...tokenizer.encode(r.prompt, { addSpecialTokens: false })],
    completion: [...tokenizer.encode(r.completion, { addSpecialTokens: false }), ...eos],
  }));
}

async function evaluateTest(task: TaskName, decoder: Decoder, tokenizer: Tokenizer): Promise<SplitMetrics> {
  const prefix = tokenizer.bosTokenId === undefined ? [] : [tokenizer.bosTokenId];
  return taskKind(task) === 'open-ended'
    ? evaluateOpenEnded(decoder, tokenizer, await loadPromptCompletionJsonl(taskFile(task, 'test')), prefix)
    : evaluateChoices(decoder, tokenizer, await loadMultipleChoiceJsonl(taskFile(task, 'test')), prefix);
}

/**
 * The paper's pipeline on one task of the embedded default: warm-start a fresh adapter for one
 * epoch on the train split, aggregate mu_bar on the calibration split, then evaluate the base
 * model, the adapted model and the adapted model with SVDecode on the test split (greedy). The
 * test split is only read for the final evaluation.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const { task, method, model, tokenizer } = options;
  const started = performance.now();
  const aggregate = options.aggregate ?? 'optimal';
  const alpha = options.alpha ?? 0.1;
  const emit = options.onProgress ?? (() => {});
  const train = encodeRows(tokenizer, await loadPromptCompletionJsonl(taskFile(task, 'train')));
  const calibrationRows = encodeRows(
    tokenizer,
    await loadPromptCompletionJsonl(taskFile(task, 'calibration')),
  );

  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig(method, model), { seed: 0 }),
  );
  try {
    const learningRate = options.warmStart?.learningRate ?? TINY_LEARNING_RATES[method];
    const trained = await warmStart(adapted, train, {
      epochs: 1,
      batchSize: 1,
      seed: 0,
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
      signal: options.signal,
      onProgress: (p) => emit({ phase: 'calibrate', ...p }),
    });
    abortIfAsked(options.signal);
    const muBar = calibration.summary[aggregate];
    if (!Number.isFinite(muBar)) {
      throw new SvdecodeError('NON_FINITE_STRENGTH', `mu_bar (${aggregate}) is ${muBar}`, {
        hint: 'The calibration loss may be unbounded; try --aggregate mean, or more calibration data.',
      });
    }

    let base: SplitMetrics | undefined;
    if (options.evaluateBase !== false) {
      emit({ phase: 'evaluate', variant: 'base' });
      base = await evaluateTest(task, { model }, tokenizer);
    }
    emit({ phase: 'evaluate', variant: 'peft' });
    const peft = await evaluateTest(task, { model: adapted }, tokenizer);
    emit({ phase: 'evaluate', variant: 'svdecode' });
    const svdecode = await evaluateTest(task, { model: adapted, steer: { mu: muBar, alpha } }, tokenizer);
    return {
      task,
      method,
      muBar,
      aggregate,
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
      base,
      peft,
      svdecode,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    adapted.dispose();
  }
}

function abortIfAsked(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SvdecodeError('ABORTED', 'the experiment was interrupted');
}

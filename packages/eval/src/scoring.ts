import { type CausalLM, isPaired, type PairedCausalLM, SvdecodeError, type Tokenizer } from '@svdecode/core';
import {
  createSteeringBuffers,
  DEFAULT_ALPHA,
  type SteeringSettings,
  steeringVector,
  steerLogits,
} from '@svdecode/kl-gradient';
import { type GenerateOptions, generateAll } from '@svdecode/sampler';
import type { MultipleChoiceRow, TruthfulQaItem } from './datasets.js';
import {
  argmax,
  mc1Harness,
  mc1Original,
  mc1Paper,
  mc2Harness,
  mc2Original,
  mc2Paper,
  mc3Original,
  mc3Paper,
  normalise,
  parseTemplateAnswer,
  type ScoredQuestion,
} from './metrics.js';
import { fillTemplate, multipleChoiceAnswer, multipleChoicePrompt } from './templates.js';

export interface ChoiceScores {
  /** Summed log-probability of each choice's tokens. */
  sum: number[];
  /** The same divided by the choice's token count (length-normalised). */
  mean: number[];
}

function logSoftmaxAt(logits: Float32Array, target: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  let z = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v !== Number.NEGATIVE_INFINITY) z += Math.exp(v - max);
  }
  return logits[target]! - max - Math.log(z);
}

/**
 * Log-likelihood of each choice continuing the prompt, under the plain model (a `CausalLM`) or
 * under steered decoding (a `PairedCausalLM` and `steer`): at every choice token the steered logits
 * `z + mu * delta_hat` are used, so with lambda = -Infinity a token outside the confident set has
 * probability 0 (log-likelihood -Infinity). With `steer.mu === 0` the scores are the plain adapted
 * model's (no mask), as in the sampler: mu = 0 means no steering.
 */
export async function scoreChoices(
  model: CausalLM | PairedCausalLM,
  prompt: readonly number[],
  choices: readonly (readonly number[])[],
  steer?: SteeringSettings,
): Promise<ChoiceScores> {
  if (prompt.length === 0)
    throw new SvdecodeError('BAD_ARGUMENT', 'scoring needs a non-empty prompt (add a BOS token)');
  const V = model.vocabSize;
  const buffers = createSteeringBuffers(V);
  const steered = new Float32Array(V);
  const sum: number[] = [];
  const mean: number[] = [];
  for (const choice of choices) {
    if (choice.length === 0) throw new SvdecodeError('BAD_DATASET_ROW', 'a choice encodes to no tokens');
    const tokens = [...prompt, ...choice];
    let total = 0;
    // mu = 0 is plain adapted decoding everywhere (no confidence mask): the plain model's numbers
    if (steer && steer.mu !== 0) {
      if (!isPaired(model)) {
        throw new SvdecodeError('BAD_ARGUMENT', 'steered scoring needs base and adapted logits', {
          hint: 'Pass a PairedCausalLM (an AdaptedModel, a paired ONNX export, or pairModels(base, adapted)).',
        });
      }
      const { base, adapted } = await model.scorePaired(tokens);
      for (let t = prompt.length - 1; t < tokens.length - 1; t++) {
        const a = adapted.subarray(t * V, (t + 1) * V);
        const s = steeringVector(a, base.subarray(t * V, (t + 1) * V), {
          alpha: steer.alpha ?? DEFAULT_ALPHA,
          out: buffers,
        });
        total += logSoftmaxAt(
          steerLogits(a, s, steer.mu, { lambda: steer.lambda ?? Number.NEGATIVE_INFINITY, out: steered }),
          tokens[t + 1]!,
        );
      }
    } else {
      const logits = await (model as CausalLM).score(tokens);
      for (let t = prompt.length - 1; t < tokens.length - 1; t++)
        total += logSoftmaxAt(logits.subarray(t * V, (t + 1) * V), tokens[t + 1]!);
    }
    sum.push(total);
    mean.push(total / choice.length);
  }
  return { sum, mean };
}

export interface McRowResult {
  question: string;
  logLikelihoods: number[];
  probabilities: number[];
  predicted: number;
  correct: number[];
  isCorrect: boolean;
}

export interface EvalOptions {
  steer?: SteeringSettings;
  /** Compare choices by length-normalised log-likelihood (default false: summed, as lm-evaluation-harness). */
  lengthNormalised?: boolean;
}

/**
 * Multiple choice by log-likelihood: each row's prompt is its template (the paper's numbered-answer
 * template by default) and each choice is scored as the completion the template asks for.
 */
export async function evaluateMultipleChoice(
  model: CausalLM | PairedCausalLM,
  tokenizer: Tokenizer,
  rows: readonly MultipleChoiceRow[],
  options: EvalOptions = {},
): Promise<{ accuracy: number; rows: McRowResult[] }> {
  const results: McRowResult[] = [];
  for (const row of rows) {
    const prompt = row.template
      ? fillTemplate(row.template, row.question, row.choices)
      : multipleChoicePrompt(row.question, row.choices);
    const completions = row.template
      ? row.choices.map((c) => ` ${c}`)
      : row.choices.map((_, k) => multipleChoiceAnswer(k));
    // the tokenizer's own rule puts BOS first where the model expects it
    const promptIds = tokenizer.encode(prompt);
    const scores = await scoreChoices(
      model,
      promptIds,
      completions.map((c) => tokenizer.encode(c, { addSpecialTokens: false })),
      options.steer,
    );
    const ll = options.lengthNormalised ? scores.mean : scores.sum;
    const predicted = argmax(ll);
    results.push({
      question: row.question,
      logLikelihoods: ll,
      probabilities: normalise(ll),
      predicted,
      correct: row.correct,
      isCorrect: row.correct.includes(predicted),
    });
  }
  return { accuracy: results.filter((r) => r.isCorrect).length / results.length, rows: results };
}

/** Every named TruthfulQA metric, from choice log-likelihoods of the mc1 and mc2 lists. */
export async function evaluateTruthfulQa(
  model: CausalLM | PairedCausalLM,
  tokenizer: Tokenizer,
  items: readonly TruthfulQaItem[],
  options: EvalOptions = {},
): Promise<{
  metrics: Record<string, number>;
  rows: Array<{ question: string; mc1: ScoredQuestion; mc2: ScoredQuestion }>;
}> {
  const rows = [];
  for (const item of items) {
    const prompt = tokenizer.encode(`Q: ${item.question}\nA:`);
    const score = async (list: { choices: string[]; labels: number[] }): Promise<ScoredQuestion> => {
      const s = await scoreChoices(
        model,
        prompt,
        list.choices.map((c) => tokenizer.encode(` ${c}`, { addSpecialTokens: false })),
        options.steer,
      );
      return { logLikelihoods: options.lengthNormalised ? s.mean : s.sum, labels: list.labels };
    };
    rows.push({ question: item.question, mc1: await score(item.mc1), mc2: await score(item.mc2) });
  }
  const mc1 = rows.map((r) => r.mc1);
  const mc2 = rows.map((r) => r.mc2);
  return {
    metrics: {
      'mc1 (paper)': mc1Paper(mc1),
      'mc2 (paper)': mc2Paper(mc2),
      'mc3 (paper)': mc3Paper(mc2),
      'MC1 (original TruthfulQA)': mc1Original(mc1),
      'MC2 (original TruthfulQA)': mc2Original(mc2),
      'MC3 (original TruthfulQA)': mc3Original(mc2),
      'mc1 (lm-evaluation-harness)': mc1Harness(mc1),
      'mc2 (lm-evaluation-harness)': mc2Harness(mc2),
    },
    rows,
  };
}

/**
 * Template-answer accuracy by generation, as in the paper's commonsense setup: the model
 * completes the template and the answer it names ("answer2", "true") is compared with the label.
 */
export async function evaluateByGeneration(
  makeSession: () => Parameters<typeof generateAll>[0],
  tokenizer: Tokenizer,
  rows: readonly MultipleChoiceRow[],
  options: Omit<GenerateOptions, 'tokenizer'> & { maxNewTokens?: number } = {},
): Promise<{
  accuracy: number;
  rows: Array<{ question: string; generated: string; predicted: number; isCorrect: boolean }>;
}> {
  const out = [];
  for (const row of rows) {
    const prompt = row.template
      ? fillTemplate(row.template, row.question, row.choices)
      : multipleChoicePrompt(row.question, row.choices);
    const ids = tokenizer.encode(prompt);
    const result = await generateAll(makeSession(), ids, { maxNewTokens: 4, ...options, tokenizer });
    const generated = result.text ?? '';
    const predicted = row.template
      ? parseTemplateAnswer(generated, row.choices)
      : parseTemplateAnswer(
          generated,
          row.choices.map((_, k) => `answer${k + 1}`),
        );
    out.push({ question: row.question, generated, predicted, isCorrect: row.correct.includes(predicted) });
  }
  return { accuracy: out.filter((r) => r.isCorrect).length / out.length, rows: out };
}

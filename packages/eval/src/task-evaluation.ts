import {
  type CausalLM,
  type DecodeSession,
  type PairedCausalLM,
  type PairedSession,
  steeringSession,
  type TokenizedRow,
  type Tokenizer,
} from '@svdecode/core';
import { generateAll } from '@svdecode/sampler';
import type { MultipleChoiceRow, PromptCompletionRow } from './datasets.js';
import { exactMatch } from './metrics.js';
import { evaluateByGeneration, evaluateMultipleChoice } from './scoring.js';

/** The model a split is evaluated on: plain, or paired and steered with strength `mu`. */
export type ModelUnderTest =
  | { steer?: undefined; model: CausalLM }
  | { steer: { mu: number; alpha: number; lazyBase?: boolean }; model: PairedCausalLM };

export interface RowOutcome {
  question: string;
  generated: string;
  /** The correct answer (the correct choice's text, or the reference completion). */
  answer: string;
  isCorrect: boolean;
}

export interface SplitMetrics {
  /** Share of rows answered correctly by greedy generation (template answer, or normalised exact match). */
  accuracy: number;
  /** Multiple choice only: share of rows whose highest-likelihood choice is correct. */
  likelihoodAccuracy?: number;
  rows: RowOutcome[];
}

export interface SplitEvaluationOptions {
  /** Generation limit per row (multiple choice: 8, open-ended: 12). */
  maxNewTokens?: number;
  /** Generation stops at these strings (default: the end of the line). */
  stopStrings?: string[];
}

function sessionFactory(subject: ModelUnderTest): () => DecodeSession | PairedSession {
  return subject.steer
    ? () => steeringSession(subject.model, { lazyBase: subject.steer!.lazyBase })
    : () => subject.model.createSession();
}

/** Multiple-choice rows: greedy template answers (the headline) and choice likelihoods. */
export async function evaluateChoices(
  subject: ModelUnderTest,
  tokenizer: Tokenizer,
  rows: readonly MultipleChoiceRow[],
  options: SplitEvaluationOptions = {},
): Promise<SplitMetrics> {
  const generated = await evaluateByGeneration(sessionFactory(subject), tokenizer, rows, {
    maxNewTokens: options.maxNewTokens ?? 8,
    eosTokenIds: tokenizer.eosTokenIds,
    stopStrings: options.stopStrings ?? ['\n'],
    steer: subject.steer ?? false,
  });
  const likelihood = await evaluateMultipleChoice(subject.model, tokenizer, rows, { steer: subject.steer });
  return {
    accuracy: generated.accuracy,
    likelihoodAccuracy: likelihood.accuracy,
    rows: generated.rows.map((r, i) => ({
      question: r.question,
      generated: r.generated,
      answer: rows[i]!.choices[rows[i]!.correct[0]!]!,
      isCorrect: r.isCorrect,
    })),
  };
}

/** Open-ended rows: greedy generation up to the end of the line, normalised exact match. */
export async function evaluateOpenEnded(
  subject: ModelUnderTest,
  tokenizer: Tokenizer,
  rows: readonly PromptCompletionRow[],
  options: SplitEvaluationOptions = {},
): Promise<SplitMetrics> {
  const outcomes: RowOutcome[] = [];
  const makeSession = sessionFactory(subject);
  for (const row of rows) {
    const ids = tokenizer.encode(row.prompt);
    const result = await generateAll(makeSession(), ids, {
      maxNewTokens: options.maxNewTokens ?? 12,
      eosTokenIds: tokenizer.eosTokenIds,
      stopStrings: options.stopStrings ?? ['\n'],
      tokenizer,
      steer: subject.steer ?? false,
    });
    const text = result.text ?? '';
    outcomes.push({
      question: row.prompt,
      generated: text,
      answer: row.completion.trim(),
      isCorrect: exactMatch(text, [row.completion]) === 1,
    });
  }
  return { accuracy: outcomes.filter((o) => o.isCorrect).length / outcomes.length, rows: outcomes };
}

/**
 * Prompt/completion text rows as token ids: the prompt as the tokenizer encodes text (`encode(prompt)`:
 * BOS first where its post-processor says so, as generation and evaluation encode prompts), the
 * completion as bare text with EOS after it.
 */
export function encodeRows(
  tokenizer: Tokenizer,
  rows: readonly { prompt: string; completion: string }[],
): TokenizedRow[] {
  const eos = tokenizer.eosTokenIds.slice(0, 1);
  return rows.map((r) => ({
    prompt: tokenizer.encode(r.prompt),
    completion: [...tokenizer.encode(r.completion, { addSpecialTokens: false }), ...eos],
  }));
}

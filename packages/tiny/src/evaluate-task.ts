import type { CausalLM, DecodeSession, PairedCausalLM, PairedSession, Tokenizer } from '@svdecode/core';
import {
  evaluateByGeneration,
  evaluateMultipleChoice,
  exactMatch,
  type MultipleChoiceRow,
  type PromptCompletionRow,
} from '@svdecode/eval';
import { generateAll } from '@svdecode/sampler';

/** A model as the evaluation sees it: plain, or paired and steered with strength `mu`. */
export type Decoder =
  | { steer?: undefined; model: CausalLM }
  | {
      steer: { mu: number; alpha: number };
      model: PairedCausalLM;
    };

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

function sessionFactory(decoder: Decoder): () => DecodeSession | PairedSession {
  return decoder.steer ? () => decoder.model.createPairedSession() : () => decoder.model.createSession();
}

/** Multiple-choice test rows: greedy template answers (the headline) and choice likelihoods. */
export async function evaluateChoices(
  decoder: Decoder,
  tokenizer: Tokenizer,
  rows: readonly MultipleChoiceRow[],
  prefix: number[],
): Promise<SplitMetrics> {
  const generated = await evaluateByGeneration(sessionFactory(decoder), tokenizer, rows, {
    prefix,
    maxNewTokens: 8,
    eosTokenIds: tokenizer.eosTokenIds,
    stopStrings: ['\n'],
    steer: decoder.steer ?? false,
  });
  const likelihood = await evaluateMultipleChoice(decoder.model, tokenizer, rows, {
    prefix,
    steer: decoder.steer,
  });
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

/** Open-ended test rows: greedy generation up to the end of the line, normalised exact match. */
export async function evaluateOpenEnded(
  decoder: Decoder,
  tokenizer: Tokenizer,
  rows: readonly PromptCompletionRow[],
  prefix: number[],
): Promise<SplitMetrics> {
  const outcomes: RowOutcome[] = [];
  const makeSession = sessionFactory(decoder);
  for (const row of rows) {
    const ids = [...prefix, ...tokenizer.encode(row.prompt, { addSpecialTokens: false })];
    const result = await generateAll(makeSession(), ids, {
      maxNewTokens: 12,
      eosTokenIds: tokenizer.eosTokenIds,
      stopStrings: ['\n'],
      tokenizer,
      steer: decoder.steer ?? false,
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

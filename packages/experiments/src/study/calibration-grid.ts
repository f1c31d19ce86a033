import type { PairedCausalLM, Tokenizer } from '@svdecode/core';
import { evaluateOpenEndedGrid, type PromptCompletionRow, parseTemplateAnswer } from '@svdecode/eval';

/**
 * Greedy correctness of every calibration row at every strength (one decode shared among them):
 * the task's own measure on the calibration split, which the tuned estimators read. A choice
 * task's calibration row is its filled template and the correct choice's text, so a row is right
 * when the generation names that choice first (as the test split's template answers are read).
 */
export async function calibrationCorrectness(
  adapted: PairedCausalLM,
  tokenizer: Tokenizer,
  rows: readonly PromptCompletionRow[],
  mus: readonly number[],
  options: { alpha: number; choiceTask: boolean },
): Promise<Map<number, Uint8Array>> {
  const decoded = await evaluateOpenEndedGrid(
    adapted,
    tokenizer,
    rows,
    mus.map((mu) => ({ mu, alpha: options.alpha })),
    {
      maxNewTokens: options.choiceTask ? 8 : 12,
      ...(options.choiceTask
        ? {
            isCorrect: (g: string, row: PromptCompletionRow) =>
              parseTemplateAnswer(g, [row.completion.trim()]) === 0,
          }
        : {}),
    },
  );
  const correctAt = new Map<number, Uint8Array>();
  mus.forEach((mu, k) => {
    if (!correctAt.has(mu))
      correctAt.set(
        mu,
        Uint8Array.from(decoded, (r) => (r.correct[k] ? 1 : 0)),
      );
  });
  return correctAt;
}

import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { steeringVector, steerLogits } from '@svdecode/kl-gradient';
import type { AdaptedModel } from '@svdecode/peft-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateByGeneration,
  evaluateMultipleChoice,
  evaluateTruthfulQa,
  scoreChoices,
} from '../src/index.js';
import { charTokenizer, loadFixturePair } from './helpers.js';

const tokenizer = charTokenizer;

let base: TfjsCausalLM;
let adapted: AdaptedModel;
beforeAll(async () => {
  ({ base, adapted } = await loadFixturePair());
});
afterAll(() => base.dispose());

function logSoftmax(row: Float32Array, target: number): number {
  const max = Math.max(...row);
  return (
    row[target]! -
    max -
    Math.log(row.reduce((a, v) => a + (v === Number.NEGATIVE_INFINITY ? 0 : Math.exp(v - max)), 0))
  );
}

describe('choice log-likelihoods on a real model', () => {
  it('plain: the sum of log-probabilities of the choice tokens', async () => {
    const prompt = [1, 10, 20, 30];
    const choices = [[40, 41], [50]];
    const scores = await scoreChoices(adapted, prompt, choices);
    for (const [k, choice] of choices.entries()) {
      const tokens = [...prompt, ...choice];
      const logits = await adapted.score(tokens);
      let want = 0;
      for (let t = prompt.length - 1; t < tokens.length - 1; t++)
        want += logSoftmax(logits.subarray(t * 96, (t + 1) * 96), tokens[t + 1]!);
      expect(scores.sum[k]).toBeCloseTo(want, 4);
      expect(scores.mean[k]).toBeCloseTo(want / choice.length, 4);
    }
  });

  it('steered: log-probabilities under z + mu * delta_hat at every choice token', async () => {
    const prompt = [1, 10, 20, 30];
    const choice = [40, 41];
    const mu = -3;
    const scores = await scoreChoices(adapted, prompt, [choice], { mu, alpha: 0.05, lambda: -1 });
    const tokens = [...prompt, ...choice];
    const a = await adapted.score(tokens);
    const b = await base.score(tokens);
    let want = 0;
    for (let t = prompt.length - 1; t < tokens.length - 1; t++) {
      const za = a.subarray(t * 96, (t + 1) * 96);
      const s = steeringVector(za, b.subarray(t * 96, (t + 1) * 96), { alpha: 0.05 });
      want += logSoftmax(steerLogits(za, s, mu, { lambda: -1 }), tokens[t + 1]!);
    }
    expect(scores.sum[0]).toBeCloseTo(want, 4);
    await expect(scoreChoices(base, prompt, [choice], { mu: 1 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
  });

  it('evaluates multiple choice, TruthfulQA and templated generation end to end', async () => {
    const rows = [
      { question: 'Capital of France?', choices: ['Paris', 'Rome'], correct: [0] },
      { question: 'Two plus two?', choices: ['three', 'four', 'five'], correct: [1] },
    ];
    const plain = await evaluateMultipleChoice(adapted, tokenizer, rows);
    expect(plain.rows).toHaveLength(2);
    for (const r of plain.rows) {
      expect(r.probabilities.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 10);
      expect(r.isCorrect).toBe(r.correct.includes(r.predicted));
    }
    const steered = await evaluateMultipleChoice(adapted, tokenizer, rows, {
      steer: { mu: -2 },
    });
    expect(steered.rows[0]!.logLikelihoods).not.toEqual(plain.rows[0]!.logLikelihoods);
    const tqa = await evaluateTruthfulQa(adapted, tokenizer, [
      {
        question: 'q?',
        mc1: { choices: ['yes', 'no'], labels: [1, 0] },
        mc2: { choices: ['yes', 'sure', 'no'], labels: [1, 1, 0] },
      },
    ]);
    expect(Object.keys(tqa.metrics)).toHaveLength(8);
    const generated = await evaluateByGeneration(() => adapted.createSession(), tokenizer, rows, {
      maxNewTokens: 3,
    });
    expect(generated.rows.every((r) => r.generated.length > 0)).toBe(true);
    expect(generated.accuracy).toBe(generated.rows.filter((r) => r.isCorrect).length / 2);
  });
});

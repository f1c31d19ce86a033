import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { steeringSession } from '@svdecode/core';
import type { AdaptedModel } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateChoices,
  evaluateChoicesGrid,
  evaluateOpenEndedGrid,
  fillTemplate,
  type SteerSetting,
  scoreChoices,
} from '../src/index.js';
import { charTokenizer, loadFixturePair } from './helpers.js';

const tokenizer = charTokenizer;

let base: TfjsCausalLM;
let adapted: AdaptedModel;
beforeAll(async () => {
  ({ base, adapted } = await loadFixturePair());
});
afterAll(() => {
  adapted.dispose();
  base.dispose();
});

// strengths on both sides of 0, alphas and a finite lambda: settings whose tokens agree and differ
const settings: SteerSetting[] = [
  { mu: -4, alpha: 0.1 },
  { mu: -0.5, alpha: 0.1 },
  { mu: 0, alpha: 0.1 },
  { mu: 0.5, alpha: 0.1 },
  { mu: 6, alpha: 0.1 },
  { mu: 1.5, alpha: 0.3, lambda: -1 },
  { mu: -2, alpha: 0.05, lambda: 0 },
  { mu: 0, alpha: 0.5, lambda: 0 },
];

/** What the sampler decodes greedily under one setting (mu = 0: the plain adapted model). */
async function sampled(prompt: number[], setting: SteerSetting, maxNewTokens: number): Promise<string> {
  const session = setting.mu === 0 ? adapted.createSession() : steeringSession(adapted);
  const r = await generateAll(session, prompt, {
    maxNewTokens,
    tokenizer,
    eosTokenIds: tokenizer.eosTokenIds,
    stopStrings: ['\n'],
    steer: setting.mu === 0 ? false : setting,
  });
  return r.text ?? '';
}

describe('many strengths at once on a real model (fixture Llama + LoRA)', () => {
  it('open-ended: every setting decodes the sampler greedy tokens, sharing forwards', async () => {
    const rows = ['abc', 'hello', 'q: 2+2?'].map((prompt) => ({ prompt, completion: ' x' }));
    const grid = await evaluateOpenEndedGrid(adapted, tokenizer, rows, settings, {
      maxNewTokens: 6,
    });
    let distinct = 0;
    for (const [i, row] of rows.entries()) {
      const ids = tokenizer.encode(row.prompt);
      for (const [k, setting] of settings.entries())
        expect(grid[i]!.generated[k], `row ${i} setting ${k}`).toBe(await sampled(ids, setting, 6));
      distinct += new Set(grid[i]!.generated).size;
    }
    // the settings must not all agree, or the test would not exercise branching
    expect(distinct).toBeGreaterThan(rows.length);
  });

  it('multiple choice: greedy answers as evaluateChoices, likelihoods as scoreChoices (mu = 0: the plain model)', async () => {
    const rows = [
      {
        question: 'pick',
        choices: ['xy', 'zw'],
        correct: [0],
        template: 'Q {question}\nA1: xy\nA2: zw\nthe answer is',
      },
      {
        question: 'again',
        choices: ['ab', 'c'],
        correct: [1],
        template: 'Q {question}\nA1: ab\nA2: c\nthe answer is',
      },
    ];
    const grid = await evaluateChoicesGrid(adapted, tokenizer, rows, settings);
    for (const [i, row] of rows.entries()) {
      const prompt = tokenizer.encode(fillTemplate(row.template, row.question, row.choices));
      const choices = row.choices.map((c) => tokenizer.encode(` ${c}`, { addSpecialTokens: false }));
      expect(grid[i]!.labels).toEqual(row.correct);
      for (const [k, setting] of settings.entries()) {
        expect(grid[i]!.generated[k]).toBe(await sampled(prompt, setting, 8));
        const want = await scoreChoices(adapted, prompt, choices, setting.mu === 0 ? undefined : setting);
        for (let c = 0; c < choices.length; c++) {
          const got = grid[i]!.logLikelihoods![k]![c]!;
          if (want.sum[c] === Number.NEGATIVE_INFINITY) expect(got).toBe(Number.NEGATIVE_INFINITY);
          else expect(got).toBeCloseTo(want.sum[c]!, 4);
        }
      }
    }
    // the steered single-strength path agrees on greedy correctness
    const steered = await evaluateChoices(
      { model: adapted, steer: { mu: -4, alpha: 0.1 } },
      tokenizer,
      rows,
      {},
    );
    expect(steered.rows.map((r) => r.isCorrect)).toEqual(grid.map((g) => g.correct[0]));
  });

  it('rejects a non-finite strength or alpha with BAD_ARGUMENT', async () => {
    const rows = [{ prompt: 'a', completion: 'b' }];
    await expect(
      evaluateOpenEndedGrid(adapted, tokenizer, rows, [{ mu: Number.POSITIVE_INFINITY, alpha: 0.1 }]),
    ).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(
      evaluateOpenEndedGrid(adapted, tokenizer, rows, [{ mu: 1, alpha: 0 }]),
    ).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    await expect(evaluateOpenEndedGrid(adapted, tokenizer, rows, [])).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
  });
});

describe('mu = 0 means no steering in scoring', () => {
  it('steered scoring at mu = 0 equals plain scoring exactly, though the mask would remove tokens', async () => {
    const prompt = [1, 10, 20, 30];
    const choices = [[40, 41], [50], [60, 61, 62]];
    const plain = await scoreChoices(adapted, prompt, choices);
    for (const lambda of [Number.NEGATIVE_INFINITY, 0]) {
      const zero = await scoreChoices(adapted, prompt, choices, { mu: 0, alpha: 1, lambda });
      expect(zero).toEqual(plain);
    }
    // a tiny strength applies the mask: some choice becomes impossible, so mu = 0 is a real special case
    const tiny = await scoreChoices(adapted, prompt, choices, { mu: 1e-9, alpha: 1 });
    expect(tiny.sum.some((s) => s === Number.NEGATIVE_INFINITY)).toBe(true);
  });
});

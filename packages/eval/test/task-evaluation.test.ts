import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import type { AdaptedModel } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRows, evaluateChoices, evaluateOpenEnded } from '../src/index.js';
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

async function greedyText(prompt: string, maxNewTokens: number): Promise<string> {
  const ids = tokenizer.encode(prompt);
  const r = await generateAll(adapted.createSession(), ids, { maxNewTokens, tokenizer, stopStrings: ['\n'] });
  return r.text ?? '';
}

describe('split evaluation on a real model (fixture Llama + LoRA)', () => {
  it('open-ended: exact match against the reference, generation limited by maxNewTokens', async () => {
    const said = await greedyText('abc', 3);
    const rows = [
      { prompt: 'abc', completion: ` ${said.trim()}` },
      { prompt: 'abc', completion: ' certainly not this' },
    ];
    const m = await evaluateOpenEnded({ model: adapted }, tokenizer, rows, { maxNewTokens: 3 });
    expect(m.rows.map((r) => r.generated)).toEqual([said, said]);
    expect(m.rows.map((r) => r.isCorrect)).toEqual([said.trim() !== '', false]);
    expect(m.accuracy).toBe(m.rows.filter((r) => r.isCorrect).length / 2);
    expect(m.rows[1]!.answer).toBe('certainly not this');
    const short = await evaluateOpenEnded({ model: adapted }, tokenizer, rows, {
      maxNewTokens: 1,
    });
    expect(short.rows[0]!.generated.length).toBeLessThanOrEqual(1);
  });

  it('multiple choice: template answers and likelihoods; steering at mu = 0 changes nothing', async () => {
    const rows = [
      {
        question: 'pick',
        choices: ['xy', 'zw'],
        correct: [0],
        template: 'Q {question}\nA1: xy\nA2: zw\nthe answer is',
      },
      {
        question: 'again',
        choices: ['ab', 'cd'],
        correct: [1],
        template: 'Q {question}\nA1: ab\nA2: cd\nthe answer is',
      },
    ];
    const plain = await evaluateChoices({ model: adapted }, tokenizer, rows);
    expect(plain.likelihoodAccuracy).toBeGreaterThanOrEqual(0);
    expect(plain.rows.map((r) => r.answer)).toEqual(['xy', 'cd']);
    const steered = await evaluateChoices(
      { model: adapted, steer: { mu: 0, alpha: 0.1 } },
      tokenizer,
      rows,
      {},
    );
    expect(steered.rows.map((r) => r.generated)).toEqual(plain.rows.map((r) => r.generated));
    expect(steered.likelihoodAccuracy).toBe(plain.likelihoodAccuracy);
  });
});

describe('encodeRows', () => {
  it('encodes the prompt as the tokenizer encodes text (BOS by its rule) and puts one EOS after the bare completion', () => {
    const [row] = encodeRows(tokenizer, [{ prompt: 'ab', completion: ' c' }]);
    expect(row).toEqual({
      prompt: tokenizer.encode('ab'),
      completion: [...tokenizer.encode(' c', { addSpecialTokens: false }), 2],
    });
    expect(row!.prompt[0]).toBe(tokenizer.bosTokenId);
    // a tokenizer that adds no BOS (Qwen2's) gets none: there is no second rule
    const bare = { ...tokenizer, encode: (t: string) => tokenizer.encode(t, { addSpecialTokens: false }) };
    expect(encodeRows(bare, [{ prompt: 'ab', completion: 'c' }])[0]!.prompt).toEqual(bare.encode('ab'));
  });
});

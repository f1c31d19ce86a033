import { describe, expect, it } from 'vitest';
import {
  exactMatch,
  mc1Harness,
  mc1Original,
  mc1Paper,
  mc2Harness,
  mc2Original,
  mc2Paper,
  mc3Original,
  mc3Paper,
  normalise,
  normaliseAnswer,
  parseTemplateAnswer,
} from '../src/index.js';

// two questions, worked by hand:
// q1: log-likelihoods [-1, -2, -3], only choice 0 correct -> top choice correct
// q2: [-2, -1, -0.5, -3], choices 0 and 1 correct -> top choice (2) incorrect
const q1 = { logLikelihoods: [-1, -2, -3], labels: [1, 0, 0] };
const q2 = { logLikelihoods: [-2, -1, -0.5, -3], labels: [1, 1, 0, 0] };
const mass1 = Math.exp(-1) / (Math.exp(-1) + Math.exp(-2) + Math.exp(-3)); // 0.66524
const mass2 = (Math.exp(-2) + Math.exp(-1)) / (Math.exp(-2) + Math.exp(-1) + Math.exp(-0.5) + Math.exp(-3)); // 0.43398

describe('multiple-choice metrics, each convention by name', () => {
  it('the paper (docs/method.md#metrics)', () => {
    expect(mc1Paper([q1, q2])).toBe(1); // only q1 has a single correct choice, and its top choice is right
    expect(mc2Paper([q1, q2])).toBe(0.5); // top choice correct on q1, not on q2
    expect(mc3Paper([q1, q2])).toBeCloseTo((mass1 + mass2) / 2, 12);
    expect(mass1).toBeCloseTo(0.66524, 5);
    expect(mass2).toBeCloseTo(0.43398, 5);
  });

  it('the original TruthfulQA code', () => {
    expect(mc1Original([q1, q2])).toBe(0.5); // q2's first true answer (-2) loses to a false one (-0.5)
    expect(mc2Original([q1, q2])).toBeCloseTo((mass1 + mass2) / 2, 12);
    // q1: its one true answer beats the best false (-2): 1; q2: neither true answer beats -0.5: 0
    expect(mc3Original([q1, q2])).toBe(0.5);
    const q3 = { logLikelihoods: [-1, -4, -2, -3], labels: [1, 1, 0, 0] }; // 1 of 2 true answers beats -2
    expect(mc3Original([q3])).toBe(0.5);
  });

  it('lm-evaluation-harness', () => {
    expect(mc1Harness([q1, q2])).toBe(0.5); // argmax is index 0 on q1 only
    expect(mc2Harness([q1, q2])).toBeCloseTo((mass1 + mass2) / 2, 12);
  });

  it('normalises over choices, uniformly when nothing is possible', () => {
    expect(normalise([0, 0])).toEqual([0.5, 0.5]);
    expect(normalise([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])).toEqual(
      [1 / 3, 1 / 3, 1 / 3],
    );
    expect(normalise([0, Number.NEGATIVE_INFINITY])).toEqual([1, 0]);
  });
});

describe('answers', () => {
  it('normalised exact match ignores case, punctuation, articles and accents', () => {
    expect(normaliseAnswer('  The Eiffel-Tower!  ')).toBe('eiffel tower');
    expect(exactMatch('paris.', ['Paris', 'Lyon'])).toBe(1);
    expect(exactMatch('An apple', ['apple'])).toBe(1);
    expect(exactMatch('São Tomé', ['Sao Tome'])).toBe(1);
    expect(exactMatch('Rome', ['Paris'])).toBe(0);
  });

  it('reads the answer a templated generation names', () => {
    expect(parseTemplateAnswer(' answer2 because', ['answer1', 'answer2', 'answer3'])).toBe(1);
    expect(parseTemplateAnswer('answer 3', ['a', 'b', 'c'])).toBe(2);
    expect(parseTemplateAnswer('answer9', ['a', 'b'])).toBe(-1);
    expect(parseTemplateAnswer(' True.', ['true', 'false'])).toBe(0);
    expect(parseTemplateAnswer('maybe', ['true', 'false'])).toBe(-1);
    // choice texts: the longest whole-word prefix wins
    expect(parseTemplateAnswer(' Panama City.', ['Panama', 'Panama City', 'Nassau'])).toBe(1);
    expect(parseTemplateAnswer(' Panama.', ['Panama', 'Panama City'])).toBe(0);
    expect(parseTemplateAnswer(' Panamanian', ['Panama', 'Panama City'])).toBe(-1);
  });
});

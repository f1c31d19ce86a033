import { DEMO_TASK, loadDemoRegime } from '@svdecode/tiny';
import { describe, expect, it } from 'vitest';
import { svdecode } from './run-cli.js';

describe('svdecode demo (the README main job) on the embedded default', () => {
  it('prints the base / PEFT / PEFT + SVDecode table and generations side by side', async () => {
    const regime = await loadDemoRegime();
    const r = await svdecode(['demo']);
    expect(r.code, r.stderr).toBe(0);
    // the study's demo regime (DECISIONS.md rule 16), else the default task at the default budget
    expect(r.stdout).toMatch(new RegExp(`task ${regime?.task ?? DEMO_TASK}: test-split accuracy`));
    expect(r.stdout).toMatch(/^ {2}base model\s+\d+\.\d %/m);
    expect(r.stdout).toMatch(
      new RegExp(
        `^ {2}lora \\(${(regime?.budget ?? 'd').replace('/', '\\/')}: lr \\S+, \\d+ epochs?\\)\\s+\\d+\\.\\d %`,
        'm',
      ),
    );
    if (regime?.converged)
      expect(r.stdout).toMatch(
        /^ {2}lora converged \(dx3: lr \S+, 3 epochs\)\s+\d+\.\d % {3}\(the study, 3 seeds\)/m,
      );
    // one sentence on what the study found
    expect(r.stdout).toMatch(
      regime ? /^ {2}The study(:| found no regime)/m : /^ {2}The study of where steering helps/m,
    );
    expect(r.stdout).toMatch(/^ {2}lora \+ SVDecode\s+\d+\.\d %/m);
    // the difference with its paired-bootstrap interval, and a one-sentence reading
    expect(r.stdout).toMatch(
      /^ {2}PEFT \+ SVDecode - PEFT: [-+]\d+\.\d points, 95 % interval \[[-+]\d+\.\d, [-+]\d+\.\d\] over \d+ test items/m,
    );
    expect(r.stdout).toMatch(/^ {2}Reading: /m);
    expect(r.stdout).toMatch(
      /mu_bar = -?\d\S* \((guarded optimal; fitted -?\d\S*\): |\w+, the study's default estimator)/,
    );
    expect(r.stdout).toMatch(/generations \(PEFT \| PEFT \+ SVDecode \| correct answer\)/);
    // progress reached stderr, not stdout
    expect(r.stderr).toMatch(/warm-start: (\d+)\/\1\b/);
    expect(r.stdout).not.toMatch(/warm-start: \d+\/\d+/);
  });

  it('--json with another method', async () => {
    const r = await svdecode([
      'demo',
      '--task',
      'capitals-open',
      '--method',
      'ia3',
      '--budget',
      'd',
      '--json',
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ task: 'capitals-open', method: 'ia3', aggregate: 'optimal', alpha: 0.1 });
    expect(json.budget).toEqual({ name: 'd', learningRate: 1e-2, epochs: 1 });
    expect(json.regime).toBeNull(); // flags outside the study's regime: no study numbers claimed
    expect(Number.isFinite(json.muBar)).toBe(true);
    expect(json.decision).toMatchObject({
      aggregate: 'optimal',
      raw: json.aggregates.optimal,
      guarded: true,
    });
    if (json.estimator === 'guarded') expect(json.muBar).toBe(json.decision.mu);
    expect(json.crossValidation.folds).toBe(5);
    for (const v of ['base', 'peft', 'svdecode']) {
      expect(json[v].accuracy).toBeGreaterThanOrEqual(0);
      expect(json[v].accuracy).toBeLessThanOrEqual(1);
      expect(json[v].likelihoodAccuracy).toBeNull(); // open-ended: exact match only
    }
    expect(json.examples).toHaveLength(3);
    expect(json.difference.ci95[0]).toBeLessThanOrEqual(json.difference.mean);
    expect(json.difference.ci95[1]).toBeGreaterThanOrEqual(json.difference.mean);
    expect(r.stderr).toBe('');
  });
});

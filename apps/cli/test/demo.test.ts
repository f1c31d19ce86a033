import { DEMO_TASK } from '@svdecode/tiny';
import { describe, expect, it } from 'vitest';
import { svdecode } from './run-cli.js';

describe('svdecode demo (the README main job) on the embedded default', () => {
  it('prints the base / PEFT / PEFT + SVDecode table and generations side by side', async () => {
    const r = await svdecode(['demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`task ${DEMO_TASK}: test-split accuracy`));
    expect(r.stdout).toMatch(/^ {2}base model\s+\d+\.\d %/m);
    expect(r.stdout).toMatch(/^ {2}lora \(1 epoch\)\s+\d+\.\d %/m);
    expect(r.stdout).toMatch(/^ {2}lora \+ SVDecode\s+\d+\.\d %/m);
    // the difference with its paired-bootstrap interval, and a one-sentence reading
    expect(r.stdout).toMatch(
      /^ {2}PEFT \+ SVDecode - PEFT: [-+]\d+\.\d points, 95 % interval \[[-+]\d+\.\d, [-+]\d+\.\d\] over \d+ test items/m,
    );
    expect(r.stdout).toMatch(/^ {2}Reading: /m);
    expect(r.stdout).toMatch(/mu_bar = -?\d\S* \(guarded optimal; fitted -?\d\S*\): /);
    expect(r.stdout).toMatch(/generations \(PEFT \| PEFT \+ SVDecode \| correct answer\)/);
    // progress reached stderr, not stdout
    expect(r.stderr).toMatch(/warm-start: (\d+)\/\1\b/);
    expect(r.stdout).not.toMatch(/warm-start: \d+\/\d+/);
  });

  it('--json with another method', async () => {
    const r = await svdecode(['demo', '--task', 'capitals-open', '--method', 'ia3', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ task: 'capitals-open', method: 'ia3', aggregate: 'optimal', alpha: 0.1 });
    expect(Number.isFinite(json.muBar)).toBe(true);
    expect(json.decision).toMatchObject({
      aggregate: 'optimal',
      raw: json.aggregates.optimal,
      guarded: true,
    });
    expect(json.muBar).toBe(json.decision.mu);
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

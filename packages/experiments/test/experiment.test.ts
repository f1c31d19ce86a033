import { encodeRows } from '@svdecode/eval';
import { loadTiny } from '@svdecode/tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT_SIZES } from '../src/data/build.js';
import { runExperiment } from '../src/index.js';

process.env.SVDECODE_QUIET = '1';

describe('runExperiment on the embedded model', () => {
  let tiny: Awaited<ReturnType<typeof loadTiny>>;
  beforeAll(async () => {
    tiny = await loadTiny();
  });
  afterAll(() => tiny.model.dispose());

  it('encodes rows with BOS before the prompt and EOS after the completion', () => {
    const [row] = encodeRows(tiny.tokenizer, [{ prompt: 'Q: x', completion: ' y' }]);
    expect(row!.prompt[0]).toBe(tiny.tokenizer.bosTokenId);
    expect(row!.completion.at(-1)).toBe(tiny.tokenizer.eosTokenIds[0]);
    expect(tiny.tokenizer.decode(row!.completion, { skipSpecialTokens: true })).toBe(' y');
  });

  it('warm-starts one epoch, calibrates mu_bar and evaluates the three variants', async () => {
    const { calibration: calRows, test: testRows } = SPLIT_SIZES.countries;
    const phases = new Set<string>();
    const r = await runExperiment({
      task: 'capitals-open',
      method: 'lora',
      ...tiny,
      onProgress: (e) => phases.add(e.phase === 'evaluate' ? `evaluate ${e.variant}` : e.phase),
    });
    expect([...phases]).toEqual([
      'warm-start',
      'calibrate',
      'evaluate base',
      'evaluate peft',
      'evaluate svdecode',
    ]);
    expect(r.warmStart.steps).toBe(SPLIT_SIZES.countries.train); // one epoch of the training rows at batch 1
    // the guarded strength: the exact optimum, kept only as far as held-out rows support it
    expect(r.decision).toMatchObject({ aggregate: 'optimal', raw: r.calibration.optimal, guarded: true });
    expect(r.muBar).toBe(r.decision.mu);
    expect(r.muBar).toBeCloseTo(r.decision.shrink * r.calibration.optimal, 12);
    expect(Number.isFinite(r.muBar)).toBe(true);
    const cv = r.calibration.crossValidation!;
    expect(cv).toMatchObject({ folds: 5, rows: calRows });
    expect(cv.steerableTokens).toBe(r.calibration.optimalTokens);
    for (const e of Object.values(cv.aggregates)) {
      expect(e.foldMus).toHaveLength(5);
      expect(Number.isFinite(e.lossChange) && e.lossChangeSE >= 0).toBe(true);
    }
    expect(r.calibration.count).toBeGreaterThan(calRows); // completion tokens of the calibration rows
    for (const m of [r.base!, r.peft, r.svdecode]) {
      expect(m.rows).toHaveLength(testRows);
      expect(m.accuracy).toBe(m.rows.filter((x) => x.isCorrect).length / testRows);
      for (const row of m.rows) expect(row.answer.length).toBeGreaterThan(0);
    }
    // training changed the model: the adapted model answers differently from the base model
    expect(r.peft.rows.map((x) => x.generated)).not.toEqual(r.base!.rows.map((x) => x.generated));
  }, 120_000);

  it("with the paper's mean as the aggregate and the guard off", async () => {
    const r = await runExperiment({
      task: 'capitals-open',
      method: 'ia3',
      ...tiny,
      aggregate: 'mean',
      guard: false,
      evaluateBase: false,
    });
    expect(r.decision).toMatchObject({ aggregate: 'mean', guarded: false });
    expect(r.muBar).toBe(r.calibration.mean);
    expect(r.base).toBeUndefined();
  }, 120_000);
});

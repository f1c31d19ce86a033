// Calibration cost per token: StrengthEstimator.add (steering vector + per-token mu* + what the
// aggregates keep) against the steering step alone, and the time of summary() (sort + the exact
// optimal solve) for a large calibration set.
import { allocationCheck, compare, fmt, machine, record, table } from '@svdecode/bench';
import { createSteeringBuffers, steeringVector } from '@svdecode/kl-gradient';
import { StrengthEstimator } from '../dist/index.js';

function randomLogits(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 6 * (s / 2 ** 32 - 0.5) + (i % 97 === 0 ? 4 : 0);
  }
  return out;
}

console.log(`calibration benchmark — ${machine()}\n`);
const rows = [];
for (const v of [32_000, 151_936]) {
  const a = randomLogits(v, 1);
  const b = randomLogits(v, 2);
  const buffers = createSteeringBuffers(v);
  const estimator = new StrengthEstimator();
  let target = 0;
  const stats = compare({
    step: () => steeringVector(a, b, { out: buffers }),
    add: () => {
      target = (target + 97) % v;
      estimator.add(a, b, target);
    },
  });
  record({
    group: 'calibration',
    name: `calibration math (estimator.add), V = ${v}`,
    value: 1000 / stats.add.median,
    unit: 'tokens/s',
    p10: 1000 / stats.add.p90,
    p90: 1000 / stats.add.p10,
    runs: stats.add.runs,
    baseline: 'steering vector alone',
    baselineValue: 1000 / stats.step.median,
    ratio: stats.step.median / stats.add.median,
  });
  rows.push({
    V: v,
    'steering vector': fmt(stats.step.median),
    'estimator.add': fmt(stats.add.median),
    'add / step': (stats.add.median / stats.step.median).toFixed(2),
    'tokens/s (math only)': Math.round(1000 / stats.add.median),
  });
}
console.log(table(rows));

// summary() over 200k tokens of a small vocabulary (4,000 rows of 50), with and without the
// cross-validation (5 folds, every aggregate, the nested guard); the adds are timed too, so the
// ratio is that of a whole math-only calibration (model forwards excluded: the worst case)
const v = 64;
const timedCalibration = (folds) => {
  const e = new StrengthEstimator({ folds });
  const t0 = process.hrtime.bigint();
  for (let t = 0; t < 200_000; t++)
    e.add(randomLogits(v, 3 * t + 1), randomLogits(v, 3 * t + 2), t % v, Math.floor(t / 50));
  const t1 = process.hrtime.bigint();
  const s = e.summary();
  const t2 = process.hrtime.bigint();
  return { e, s, add: Number(t1 - t0) / 1e6, summary: Number(t2 - t1) / 1e6 };
};
const plainRun = timedCalibration(0);
const cvRun = timedCalibration(5);
const { e, s } = cvRun;
console.log(
  `\nsummary() over ${s.count} tokens of ${s.rows} rows (${s.optimalTokens} in optimal): ${fmt(plainRun.summary)} without, ${fmt(cvRun.summary)} with cross-validation; retained ${(e.retainedBytes / 2 ** 20).toFixed(1)} MiB`,
);
const total = (r) => r.add + r.summary;
record({
  group: 'calibration',
  name: 'cross-validated calibration, math only (200k tokens, V = 64)',
  value: total(cvRun),
  unit: 'ms',
  baseline: 'plain calibration (folds: 0)',
  baselineValue: total(plainRun),
  ratio: total(cvRun) / total(plainRun),
});
console.log(
  `cross-validated / plain calibration (math only): ${(total(cvRun) / total(plainRun)).toFixed(3)}`,
);
const small = new StrengthEstimator({ maxExactTokens: 0, optimal: false });
const a = randomLogits(v, 5);
const bb = randomLogits(v, 6);
const alloc = await allocationCheck(() => small.add(a, bb, 3), 20_000);
console.log(
  `mean/pooled-only estimator: retained ${small.retainedBytes} bytes, ${alloc.gcs} GCs in ${alloc.steps} adds`,
);

// shown in: packages/strength/README.md
import { encodeRows, loadPromptCompletionJsonl } from '@svdecode/eval';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { StrengthEstimator } from '@svdecode/strength';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
const rows = encodeRows(tokenizer, await loadPromptCompletionJsonl(taskFile('capitals-open', 'calibration')));

const estimator = new StrengthEstimator({ alpha: 0.1 });
// teacher forcing over the calibration split: both models' logits at each completion position, the
// true next token, and the row it belongs to (cross-validation folds hold whole rows); calibrate()
// of this package does exactly this loop
const V = adapted.vocabSize;
for (const [row, { prompt, completion }] of rows.entries()) {
  const ids = [...prompt, ...completion];
  const { base, adapted: tuned } = await adapted.scorePaired(ids);
  for (let t = prompt.length - 1; t < ids.length - 1; t++)
    estimator.add(tuned.subarray(t * V, (t + 1) * V), base.subarray(t * V, (t + 1) * V), ids[t + 1], row);
}

const s = estimator.summary();
console.log(s.decision); // { aggregate: 'optimal', mu, raw, shrink, guarded: true, reason } — decode with s.decision.mu
console.log(s.crossValidation?.aggregates.optimal); // held-out change vs mu = 0: { lossChange, lossChangeSE, ... }
console.log(s.coverage.targetOutside, s.coverage.warning); // share of targets steering cannot reach
console.log(s.optimal, s.mean, s.pooled, s.median); // candidate mu_bar values
console.log(s.count, s.skipped, s.singletons, s.targetMasked); // what went into them
console.log(s.quantiles['0.5'], s.histogram.counts.length); // the heavy-tailed distribution of mu*
console.log(estimator.calibrationLoss(s.optimal) <= estimator.calibrationLoss(s.mean)); // true
adapted.dispose();
model.dispose();

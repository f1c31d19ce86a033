// The study's evaluation cost: every strength of the oracle grid and the estimators (23 settings)
// decoded and scored in one pass (evaluateChoicesGrid) against one strength decoded and scored the
// usual way (evaluateChoices, steered). Rows of a choice task, the demo LoRA; interleaved rounds in
// one run. The grid is worth it when grid / one strength is well below 23.
import { machine, record, table } from '@svdecode/bench';
import { evaluateChoices, evaluateChoicesGrid, loadMultipleChoiceJsonl } from '@svdecode/eval';
import { ORACLE_GRID } from '@svdecode/experiments';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '@svdecode/tiny';

process.env.SVDECODE_QUIET = '1';
const GROUP = 'embedded model (3.43M params)';
const ROWS = 20;
const ROUNDS = 3;
const { model, tokenizer } = await loadTiny();
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
console.log(`strength-grid benchmark — ${machine()}\n`);

// multiple-choice rows with their choices (timing only: no accuracy is read or reported)
const rows = (await loadMultipleChoiceJsonl(taskFile('wordnet', 'test'))).slice(0, ROWS);
const settings = [...ORACLE_GRID, -0.6, 0.4, 1.2, -2.5, 0.1, -0.1].map((mu) => ({ mu, alpha: 0.1 }));

const candidates = {
  [`grid of ${settings.length} strengths`]: () => evaluateChoicesGrid(adapted, tokenizer, rows, settings),
  'one strength (evaluateChoices)': () =>
    evaluateChoices({ model: adapted, steer: { mu: 0.5, alpha: 0.1 } }, tokenizer, rows),
};
const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++)
  for (const [name, fn] of Object.entries(candidates)) {
    const t0 = process.hrtime.bigint();
    await fn();
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const [gridName, oneName] = Object.keys(candidates);
const grid = median(times[gridName]);
const one = median(times[oneName]);
console.log(
  table([
    { candidate: gridName, 'seconds (median)': grid.toFixed(2), rows: ROWS },
    { candidate: oneName, 'seconds (median)': one.toFixed(2), rows: ROWS },
  ]),
);
console.log(
  `\ngrid / one strength: ${(grid / one).toFixed(2)}; against ${settings.length} separate evaluations: ${((settings.length * one) / grid).toFixed(1)}x faster`,
);
record({
  group: GROUP,
  name: `study grid (${settings.length} strengths) / one strength, evaluation of ${ROWS} choice rows`,
  value: grid,
  unit: 's',
  baseline: 'one strength',
  baselineValue: one,
  ratio: grid / one,
  target: `well below ${settings.length}`,
});
adapted.dispose();
model.dispose();

// shown in: packages/experiments/README.md
import { runExperiment } from '@svdecode/experiments';
import { loadTiny } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
// Algorithms 1 and 2 on one task: warm-start, calibrate mu_bar, evaluate base / PEFT / PEFT + SVDecode
const r = await runExperiment({
  task: 'capitals-open',
  method: 'lora',
  model,
  tokenizer,
  warmStart: { learningRate: 1e-3, epochs: 1 },
});
console.log(r.base?.accuracy, r.peft.accuracy, r.svdecode.accuracy, r.muBar);
model.dispose();

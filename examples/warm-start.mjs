// shown in: packages/peft-tfjs/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRows, loadPromptCompletionJsonl } from '@svdecode/eval';
import {
  AdaptedModel,
  createAdapter,
  defaultAdapterConfig,
  loadAdapter,
  warmStart,
} from '@svdecode/peft-tfjs';
import { loadTiny, taskFile } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
const rows = encodeRows(
  tokenizer,
  (await loadPromptCompletionJsonl(taskFile('capitals-open', 'train'))).slice(0, 20),
);
// a fresh LoRA with the paper's defaults (r 8, alpha 16, dropout 0.1, q/k/v/o), warm-started for one epoch
const adapted = new AdaptedModel(
  model,
  createAdapter(model, defaultAdapterConfig('lora', model), { seed: 0 }),
);
const saveTo = join(await mkdtemp(join(tmpdir(), 'svdecode-')), 'my-adapter');
await warmStart(adapted, rows, {
  learningRate: 1e-3, // the default is the paper's 5e-5: little movement in a few steps
  saveTo, // adapter_config.json + adapter_model.safetensors, as PEFT writes
  onProgress: (p) => p.step % 10 === 0 && console.log(p.step, p.totalSteps, p.loss.toFixed(3)),
});

// later, or with an adapter trained by Python peft:
const loaded = await loadAdapter(model, saveTo, { tokenizer });
const session = loaded.createPairedSession(); // { base, adapted } logits per step, one batched forward
const { base, adapted: tuned } = await session.append(
  tokenizer.encode('Q: What is the capital of Peru?\nA:'),
);
console.log(base.length === tuned.length);
session.dispose();
loaded.dispose();
adapted.dispose();
model.dispose();

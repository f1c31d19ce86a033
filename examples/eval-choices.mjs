// shown in: packages/eval/README.md
import { evaluateMultipleChoice, loadMultipleChoiceJsonl } from '@svdecode/eval';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer }); // a PairedCausalLM
const rows = (await loadMultipleChoiceJsonl(taskFile('capitals', 'test'))).slice(0, 20); // {question, choices, correct}
const plain = await evaluateMultipleChoice(adapted, tokenizer, rows);
const steered = await evaluateMultipleChoice(adapted, tokenizer, rows, { steer: { mu: 0.5 } });
console.log(plain.accuracy, steered.accuracy, Object.keys(steered.rows[0])); // per-row log-likelihoods, prediction
adapted.dispose();
model.dispose();

// shown in: packages/eval/README.md
import { evaluateOpenEndedGrid, loadPromptCompletionJsonl } from '@svdecode/eval';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
const testRows = (await loadPromptCompletionJsonl(taskFile('capitals-open', 'test'))).slice(0, 20);
const mus = [-1, -0.5, 0, 0.5, 1];
// every strength in one pass: settings share each paired forward while their tokens agree
const rows = await evaluateOpenEndedGrid(
  adapted,
  tokenizer,
  testRows,
  mus.map((mu) => ({ mu, alpha: 0.1 })),
);
const accuracy = mus.map((_, k) => rows.filter((r) => r.correct[k]).length / rows.length);
console.log(Object.fromEntries(mus.map((mu, k) => [mu, accuracy[k]])));
adapted.dispose();
model.dispose();

// shown in: packages/backend-tfjs/README.md
import { loadTfjsModel } from '@svdecode/backend-tfjs';
import { loadTokenizer } from '@svdecode/hf-io';
import { TINY_MODEL_DIR } from '@svdecode/tiny'; // any Hugging Face Llama/Qwen2/Mistral directory

const model = await loadTfjsModel(TINY_MODEL_DIR, { log: false }); // log: the line naming the tfjs backend
const tokenizer = await loadTokenizer(TINY_MODEL_DIR);
const session = model.createSession();
let logits = await session.append(tokenizer.encode('The capital of France is'));
const next = logits.indexOf(Math.max(...logits));
logits = await session.append([next]); // one cached step
const beam = session.fork(); // independent copy (shares memory until it diverges)
session.dispose();
beam.dispose();
const rows = await model.scoreBatch([tokenizer.encode('Paris is'), tokenizer.encode('Lima')]); // padded batch
console.log(
  tokenizer.decode([next]),
  rows.map((r) => r.length / model.vocabSize),
); // logits rows per token
model.dispose();

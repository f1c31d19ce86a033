// shown in: packages/backend-llama-cpp/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLlamaCppModel } from '@svdecode/backend-llama-cpp';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { loadModelDirectory } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { generateAll } from '@svdecode/sampler';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

// GGUF files from @svdecode/gguf-export (or any Llama-family GGUF and a GGUF LoRA adapter for it)
const dir = await mkdtemp(join(tmpdir(), 'svdecode-'));
await exportGguf(TINY_MODEL_DIR, join(dir, 'tiny.gguf'));
const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false }); // config + weights, lazily

await exportGgufLora(
  await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR),
  directory.config,
  join(dir, 'tiny-lora.gguf'),
);
await directory.close();

const model = await loadLlamaCppModel(join(dir, 'tiny.gguf'), { lora: join(dir, 'tiny-lora.gguf') });
const prompt = model.tokenizer.encode('Q: What is the capital of Chile?\nA:'); // llama.cpp's tokenizer
const { tokens } = await generateAll(model.createLazyPairedSession(), prompt, {
  maxNewTokens: 8,
  steer: { mu: 0.5 },
});
console.log(JSON.stringify(model.tokenizer.decode(tokens)));
model.dispose();

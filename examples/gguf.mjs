// shown in: packages/gguf-export/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { loadModelDirectory } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

const out = await mkdtemp(join(tmpdir(), 'svdecode-'));
await exportGguf(TINY_MODEL_DIR, join(out, 'tiny.gguf'), { dtype: 'F16' }); // weights and tokenizer
const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false }); // config + weights, lazily

await exportGgufLora(
  await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR),
  directory.config,
  join(out, 'lora.gguf'),
);
await directory.close();
console.log(`written to ${out}`);
// then: loadLlamaCppModel(join(out, 'tiny.gguf'), { lora: join(out, 'lora.gguf') }) of @svdecode/backend-llama-cpp

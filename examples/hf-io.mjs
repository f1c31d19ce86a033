// shown in: packages/hf-io/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelDirectory, readSafetensors, writeSafetensors } from '@svdecode/hf-io';
import { TINY_MODEL_DIR } from '@svdecode/tiny'; // any Hugging Face model directory

const model = await loadModelDirectory(TINY_MODEL_DIR); // config.json + weights + tokenizer
console.log(model.config.numLayers, model.config.headDim, model.config.ropeScaling);
const ids = model.tokenizer.encode('The capital of France is'); // BOS first, by the tokenizer's rule
const embed = await model.weights.readFloat32('model.embed_tokens.weight', [
  model.config.vocabSize,
  model.config.hiddenSize,
]);
await model.close();

const file = join(await mkdtemp(join(tmpdir(), 'svdecode-')), 'out.safetensors');
await writeSafetensors(
  file,
  {
    'lora.weight': { dtype: 'BF16', shape: [2, 2], data: [0.5, -1, 2, 0.25] }, // floats rounded to BF16
  },
  { format: 'pt' },
);
console.log(ids.length, embed.length, [...(await readSafetensors(file)).keys()]);

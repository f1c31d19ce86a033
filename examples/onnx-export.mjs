// shown in: packages/onnx-export/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointWeights } from '@svdecode/backend-tfjs';
import { exportOnnx } from '@svdecode/onnx-export';
import { loadLinearAdapter } from '@svdecode/peft';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

const out = await mkdtemp(join(tmpdir(), 'svdecode-'));
// a plain export, straight from the model directory (no tensor library)
await exportOnnx(TINY_MODEL_DIR, join(out, 'plain'), { tokenizerDir: TINY_MODEL_DIR });

// with a LoRA or IA3 adapter read from its PEFT files (still no tensor library): merged, or paired
const lora = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR);
await exportOnnx(TINY_MODEL_DIR, join(out, 'paired'), {
  adapter: lora,
  paired: true,
  tokenizerDir: TINY_MODEL_DIR,
});

// a model (and adapter) living in tfjs, for example right after warm-start: `adapted` is a
// peft-tfjs AdaptedModel, whose `base` is the TfjsCausalLM and `adapter` the trained adapter
const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
await exportOnnx(checkpointWeights(adapted.base), join(out, 'after-training'), {
  adapter: adapted.adapter,
  tokenizerDir: TINY_MODEL_DIR, // without it the export has no tokenizer files
  externalData: true, // weights in onnx/model.onnx_data, the layout of large onnx-community models
});
console.log(`three exports in ${out}`);
adapted.dispose();
model.dispose();

// shown in: packages/peft/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx } from '@svdecode/onnx-export';
import { loadLinearAdapter, readAdapterDirectory } from '@svdecode/peft';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

const lora = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR); // { type, config, linearDelta() }
const deltas = await lora.linearDelta();
console.log(lora.type, deltas.size, [...deltas.values()][0].kind); // LORA, one per module, low-rank
const out = join(await mkdtemp(join(tmpdir(), 'svdecode-')), 'tiny-lora');
await exportOnnx(TINY_MODEL_DIR, out, { adapter: lora, tokenizerDir: TINY_MODEL_DIR }); // merged, no tfjs

const { config, tensors } = await readAdapterDirectory(TINY_DEMO_ADAPTER_DIR); // as PEFT wrote them
console.log(config.r, tensors.size);

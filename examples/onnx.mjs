// shown in: packages/backend-onnx/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { steeringSession } from '@svdecode/core';
import { exportOnnx } from '@svdecode/onnx-export';
import { loadLinearAdapter } from '@svdecode/peft';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

// a paired export: base and adapted rows in one ONNX run (adapter_scale 0 and 1), tokenizer included
const dir = join(await mkdtemp(join(tmpdir(), 'svdecode-')), 'tiny-paired');
const adapter = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR); // a PEFT directory, no tensor library
await exportOnnx(TINY_MODEL_DIR, dir, { adapter, paired: true, tokenizerDir: TINY_MODEL_DIR });
const onnx = await loadOnnxModel(dir); // a PairedOnnxCausalLM

const { model, tokenizer } = await loadTiny({ quiet: true });
const tfjs = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
const prompt = tokenizer.encode('Q: What is the capital of Chile?\nA:');
const options = { maxNewTokens: 12, steer: { mu: 0.5 } };
const [a, b] = [
  await generateAll(steeringSession(onnx), prompt, options),
  await generateAll(steeringSession(tfjs), prompt, options),
];
console.log(a.tokens.join() === b.tokens.join() ? 'same steered tokens on ONNX and tfjs' : 'tokens differ');
onnx.dispose();
tfjs.dispose();
model.dispose();

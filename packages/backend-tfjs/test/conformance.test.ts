import { join } from 'node:path';
import { describeCausalLMConformance } from '@svdecode/core/test';
import { HF_DIR } from '@svdecode/testkit';
import { loadTfjsModel } from '../src/index.js';
import './helpers.js';

describeCausalLMConformance('tfjs, Llama with GQA (transformers fixture)', () =>
  loadTfjsModel(join(HF_DIR, 'llama-gqa')),
);
describeCausalLMConformance('tfjs, Qwen2 with biases, tied, sharded (transformers fixture)', () =>
  loadTfjsModel(join(HF_DIR, 'qwen2-tied-sharded')),
);

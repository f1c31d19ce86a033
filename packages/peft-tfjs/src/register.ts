// The one module with a side effect: importing it registers the tfjs backend in the core registry
// with PEFT adapters (`load(dir, { adapter })` attaches one). The plain registration is imported
// first, so that this one replaces it whatever the import order of the caller.
import '@svdecode/backend-tfjs/register';
import { tfjsModelBackend } from '@svdecode/backend-tfjs';
import { modelBackends } from '@svdecode/core';
import { loadAdapter } from './io.js';

modelBackends.register(
  'tfjs',
  () => tfjsModelBackend((model, adapterDir, tokenizer) => loadAdapter(model, adapterDir, { tokenizer })),
  10,
);

// The one module with a side effect: importing it registers the tfjs backend in the core registry
// (without adapters; `@svdecode/peft-tfjs/register` registers it with PEFT adapters).
import { modelBackends } from '@svdecode/core';
import { tfjsModelBackend } from './backend.js';

modelBackends.register('tfjs', () => tfjsModelBackend(), 10);

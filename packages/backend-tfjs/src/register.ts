// The one module with a side effect: importing it registers the tfjs backend in the core registry.

import { resolve } from 'node:path';
import { modelBackends } from '@svdecode/core';
import { holdsSafetensorsModel } from '@svdecode/hf-io';
import * as tf from '@tensorflow/tfjs-core';
import { loadTfjsModel } from './model.js';
import { activeTfjsBackend, initTfjs } from './tfjs-backends.js';

modelBackends.register(
  'tfjs',
  async () => {
    const info = await initTfjs();
    return {
      name: 'tfjs',
      describe: () => `tfjs ${tf.version_core} on ${activeTfjsBackend() ?? info.name}`,
      load: (source: string, options?: Record<string, unknown>) => loadTfjsModel(source, options),
      canLoad: (source: string) => holdsSafetensorsModel(resolve(source)),
    };
  },
  10,
);

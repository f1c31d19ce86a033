// The one module with a side effect: importing it registers the onnx backend in the core registry.

import { resolve } from 'node:path';
import { modelBackends } from '@svdecode/core';
import * as ort from 'onnxruntime-node';
import { findOnnxGraph } from './graph-files.js';
import { loadOnnxModel } from './load.js';

modelBackends.register(
  'onnx',
  () => ({
    name: 'onnx',
    describe: () => `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common} (CPU)`,
    load: (source: string, options?: Record<string, unknown>) => loadOnnxModel(source, options),
    canLoad: async (source: string) => (await findOnnxGraph(resolve(source))) !== undefined,
  }),
  20,
);

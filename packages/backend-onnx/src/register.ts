// The one module with a side effect: importing it registers the onnx backend in the core registry.

import { resolve } from 'node:path';
import { isPaired, modelBackends, SvdecodeError } from '@svdecode/core';
import { directoryProvenance, loadTokenizer } from '@svdecode/hf-io';
import * as ort from 'onnxruntime-node';
import { findOnnxGraph, type OnnxDtype } from './graph-files.js';
import { loadOnnxModel } from './load.js';

modelBackends.register(
  'onnx',
  () => ({
    name: 'onnx',
    describe: () => `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common} (CPU)`,
    canLoad: async (source: string) => (await findOnnxGraph(resolve(source))) !== undefined,
    async load(source, options = {}) {
      if (options.adapter !== undefined) {
        throw new SvdecodeError(
          'BAD_ARGUMENT',
          '--adapter does not apply to --backend onnx: an ONNX export carries its adapter inside',
          {
            hint: 'Export the model with its adapter (svdecode export-onnx --adapter <dir> --paired) and pass that directory as --model.',
          },
        );
      }
      const dir = resolve(source);
      const model = await loadOnnxModel(dir, options.dtype ? { dtype: options.dtype as OnnxDtype } : {});
      try {
        const paired = isPaired(model) ? model : undefined;
        return {
          base: model,
          model,
          paired,
          tokenizer: await loadTokenizer(options.tokenizerDir ?? dir),
          // an export's provenance (base and adapter fingerprints) is the file export-onnx writes
          provenance: await directoryProvenance(dir, paired !== undefined),
          dispose: () => model.dispose(),
        };
      } catch (error) {
        model.dispose();
        throw error;
      }
    },
  }),
  20,
);

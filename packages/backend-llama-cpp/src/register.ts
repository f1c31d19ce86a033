// The one module with a side effect: importing it registers the llama-cpp backend in the core registry.
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isPaired, modelBackends, SvdecodeError } from '@svdecode/core';
import { fileExists, fingerprintFile, loadTokenizer } from '@svdecode/hf-io';
import { importNodeLlamaCpp } from './llama-model.js';
import { loadLlamaCppModel } from './load.js';

modelBackends.register(
  'llama-cpp',
  async () => {
    // fails here (and the registry reports why) when node-llama-cpp is not installed
    const { getModuleVersion } = await importNodeLlamaCpp();
    const version = await getModuleVersion();
    return {
      name: 'llama-cpp',
      describe: () => `node-llama-cpp ${version} (llama.cpp, CPU prebuilt binaries)`,
      canLoad: async (source: string) =>
        source.toLowerCase().endsWith('.gguf') &&
        (await stat(source).then(
          (s) => s.isFile(),
          () => false,
        )),
      async load(source, options = {}) {
        if (options.dtype !== undefined) {
          throw new SvdecodeError(
            'BAD_ARGUMENT',
            '--dtype applies to --backend onnx, not llama-cpp (it picks an ONNX graph)',
            {
              hint: 'A GGUF file has one precision; drop --dtype.',
            },
          );
        }
        const file = resolve(source);
        const lora = options.adapter === undefined ? undefined : resolve(options.adapter);
        if (lora && !lora.toLowerCase().endsWith('.gguf')) {
          throw new SvdecodeError(
            'BAD_ARGUMENT',
            '--adapter with --backend llama-cpp takes a GGUF LoRA file',
            {
              hint: 'Export the PEFT adapter first: svdecode export-gguf --model <dir> --adapter <peft dir> --out lora.gguf.',
              details: { adapter: lora },
            },
          );
        }
        const model = await loadLlamaCppModel(file, {
          ...(lora ? { lora } : {}),
          ...(options.threads === undefined ? {} : { threads: options.threads }),
        });
        try {
          // the tokenizer.json beside the file (or the one asked for) when there is one, else llama.cpp's
          const dir = options.tokenizerDir ?? dirname(file);
          const tokenizer = (await fileExists(join(dir, 'tokenizer.json')))
            ? await loadTokenizer(dir)
            : model.tokenizer;
          return {
            base: model,
            model,
            paired: isPaired(model) ? model : undefined,
            tokenizer,
            provenance: {
              base: await fingerprintFile(file),
              adapter: lora ? await fingerprintFile(lora) : null,
              paired: false,
            },
            dispose: () => model.dispose(),
          };
        } catch (error) {
          model.dispose();
          throw error;
        }
      },
    };
  },
  5,
);

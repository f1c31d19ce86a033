// The one module with a side effect: importing it registers the llama-cpp backend in the core registry.
import { stat } from 'node:fs/promises';
import { modelBackends } from '@svdecode/core';
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
      load: (source: string, options?: Record<string, unknown>) =>
        loadLlamaCppModel(source, {
          ...(typeof options?.adapter === 'string' ? { lora: options.adapter } : {}),
          ...(typeof options?.threads === 'number' ? { threads: options.threads } : {}),
        }),
      canLoad: async (source: string) =>
        source.toLowerCase().endsWith('.gguf') &&
        (await stat(source).then(
          (s) => s.isFile(),
          () => false,
        )),
    };
  },
  5,
);

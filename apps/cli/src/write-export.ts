import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provenance } from '@svdecode/core';
import type { CheckpointWeights, LinearAdapter } from '@svdecode/hf-io';
import { EXPORT_PROVENANCE, stageDirectory } from '@svdecode/hf-io';
import { writeOnnxModel } from '@svdecode/onnx-export';

/**
 * An ONNX export with its provenance file, staged once and put in place whole: a failure leaves
 * nothing at `target`. `source` is a model directory or loaded weights.
 */
export function writeExport(
  source: string | CheckpointWeights,
  target: string,
  options: {
    adapter?: LinearAdapter;
    paired?: boolean;
    steering?: boolean;
    externalData?: boolean;
    logitsToKeep?: boolean;
    dtype?: 'fp32' | 'q8' | 'q4';
    quantization?: { embeddings?: boolean };
    tokenizerDir: string;
    provenance: Provenance;
  },
): Promise<void> {
  return stageDirectory(target, async (dir) => {
    const { provenance, ...exportOptions } = options;
    await writeOnnxModel(source, dir, exportOptions);
    await writeFile(join(dir, EXPORT_PROVENANCE), `${JSON.stringify(provenance, null, 2)}\n`);
  });
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeOnnxModel } from '@svdecode/backend-onnx';
import { stageDirectory } from '@svdecode/hf-io';
import { EXPORT_PROVENANCE, type Provenance } from './provenance.js';

/**
 * An ONNX export with its provenance file, staged once and put in place whole: a failure leaves
 * nothing at `target`.
 */
export function writeExport(
  model: Parameters<typeof writeOnnxModel>[0],
  target: string,
  options: { paired?: boolean; tokenizerDir: string; provenance: Provenance },
): Promise<void> {
  return stageDirectory(target, async (dir) => {
    await writeOnnxModel(model, dir, { paired: options.paired, tokenizerDir: options.tokenizerDir });
    await writeFile(join(dir, EXPORT_PROVENANCE), `${JSON.stringify(options.provenance, null, 2)}\n`);
  });
}

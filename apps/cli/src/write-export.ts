import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exportOnnx } from '@svdecode/backend-onnx';
import { replaceDirectory } from '@svdecode/hf-io';
import { writeFileAtomic } from './atomic.js';
import { EXPORT_PROVENANCE, type Provenance } from './provenance.js';

/**
 * An ONNX export with its provenance file, written to a staging directory and renamed into place:
 * a failure leaves nothing at `target` (and removes the staging directory).
 */
export async function writeExport(
  model: Parameters<typeof exportOnnx>[0],
  target: string,
  options: { paired?: boolean; tokenizerDir: string; provenance: Provenance },
): Promise<void> {
  // exportOnnx renames its own temporary directory into place; the provenance file goes in before ours
  const staging = `${target}.export-${process.pid}`;
  try {
    await exportOnnx(model, staging, { paired: options.paired, tokenizerDir: options.tokenizerDir });
    await writeFileAtomic(
      join(staging, EXPORT_PROVENANCE),
      `${JSON.stringify(options.provenance, null, 2)}\n`,
    );
    await replaceDirectory(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

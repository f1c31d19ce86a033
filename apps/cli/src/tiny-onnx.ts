import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Provenance } from '@svdecode/core';
import { EXPORT_PROVENANCE, fileExists, fingerprintModel, readJsonFile } from '@svdecode/hf-io';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { note } from './progress.js';
import { writeExport } from './write-export.js';

/** Where exports of the embedded model are cached: $SVDECODE_CACHE_DIR, else $XDG_CACHE_HOME/svdecode, else ~/.cache/svdecode. */
export function cacheRoot(): string {
  return (
    process.env.SVDECODE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'svdecode')
  );
}

/**
 * The embedded model as an ONNX export, made once into the cache (staged, then renamed into place)
 * and reused while its recorded fingerprint matches the committed model's. Says in one line which.
 */
export async function tinyOnnxDir(quiet?: boolean): Promise<string> {
  const fingerprint = await fingerprintModel(TINY_MODEL_DIR);
  const dir = join(cacheRoot(), `tiny-onnx-${fingerprint.replace(/^sha256:/, '').slice(0, 16)}`);
  const provenanceFile = join(dir, EXPORT_PROVENANCE);
  if (await fileExists(provenanceFile)) {
    const provenance = (await readJsonFile(provenanceFile)) as Provenance;
    if (provenance.base === fingerprint && (await fileExists(join(dir, 'onnx', 'model.onnx')))) {
      note(`using the ONNX export of the embedded model cached in ${dir}`, quiet);
      return dir;
    }
  }
  const started = performance.now();
  await mkdir(cacheRoot(), { recursive: true });
  // straight from the safetensors files: no tensor library is loaded for this
  await writeExport(TINY_MODEL_DIR, dir, {
    tokenizerDir: TINY_MODEL_DIR,
    provenance: { base: fingerprint, adapter: null, paired: false },
  });
  note(
    `exported the embedded model to ONNX once (${((performance.now() - started) / 1000).toFixed(1)} s), cached in ${dir}`,
    quiet,
  );
  return dir;
}

import { createHash } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Provenance } from '@svdecode/core';
import { fileExists, readJsonFile } from './json-file.js';

const SAMPLE = 1 << 20;

async function hashSampled(hash: ReturnType<typeof createHash>, file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    hash.update(`${size}:`);
    const head = Buffer.alloc(Math.min(SAMPLE, size));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > SAMPLE) {
      const tail = Buffer.alloc(Math.min(SAMPLE, size - SAMPLE));
      await handle.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Identifies a model directory cheaply, for matching steering files to models: SHA-256 of
 * config.json and, for every safetensors file, its size, first MiB (the header: names, shapes,
 * offsets) and last MiB. Reading a few MiB keeps it instant on multi-GB checkpoints.
 */
export async function fingerprintModel(dir: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await readFile(join(dir, 'config.json')));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).sort();
  for (const file of files) {
    hash.update(file);
    await hashSampled(hash, join(dir, file));
  }
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

/** An adapter directory's identity: SHA-256 of its config and its whole (small) weights file. */
export async function fingerprintAdapter(dir: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await readFile(join(dir, 'adapter_config.json')));
  hash.update(await readFile(join(dir, 'adapter_model.safetensors')));
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

/** A single model file's identity (a GGUF model or adapter): SHA-256 of its size and sampled chunks. */
export async function fingerprintFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await hashSampled(hash, file);
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

/** Written by `svdecode export-onnx` next to the graph: which base model and adapter it came from. */
export const EXPORT_PROVENANCE = 'svdecode-export.json';

/**
 * Where a model directory came from: the export's provenance file when it has one, else the
 * directory's own fingerprint (a foreign export is fingerprinted by its config only).
 */
export async function directoryProvenance(dir: string, paired: boolean): Promise<Provenance> {
  const file = join(dir, EXPORT_PROVENANCE);
  if (await fileExists(file)) return (await readJsonFile(file)) as Provenance;
  return { base: await fingerprintModel(dir), adapter: null, paired };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile } from '@svdecode/hf-io';
import { HF_DIR } from '@svdecode/testkit';
import { afterAll } from 'vitest';

process.env.SVDECODE_QUIET = '1';

export const BASE_DIR = join(HF_DIR, 'llama-gqa');
export const ADAPTERS = join(HF_DIR, 'adapters');

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'svdecode-peft-'));
  dirs.push(dir);
  return dir;
}

/** Row 0 of the fixture inputs and the logits peft computed for it (real positions only). */
export async function expected(dir: string, vocab = 96): Promise<{ ids: number[]; logits: Float32Array }> {
  const file = await SafetensorsFile.open(join(dir, 'expected.safetensors'));
  const ids = Array.from((await file.read('input_ids')).data as BigInt64Array, Number).slice(0, 9);
  const all = await file.readFloat32('logits_unpadded_row0');
  await file.close();
  return { ids, logits: all.slice(all.length - ids.length * vocab) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

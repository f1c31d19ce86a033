import { join } from 'node:path';
import { SafetensorsFile } from '@svdecode/hf-io';
import { HF_DIR } from '@svdecode/testkit';

process.env.SVDECODE_QUIET = '1';

export const BASE_DIR = join(HF_DIR, 'llama-gqa');
export const ADAPTERS = join(HF_DIR, 'adapters');

export { maxAbsDiff } from '@svdecode/core/test';
export { tempDir } from '@svdecode/testkit';

/** Row 0 of the fixture inputs and the logits peft computed for it (real positions only). */
export async function expected(dir: string, vocab = 96): Promise<{ ids: number[]; logits: Float32Array }> {
  const file = await SafetensorsFile.open(join(dir, 'expected.safetensors'));
  const ids = Array.from((await file.read('input_ids')).data as BigInt64Array, Number).slice(0, 9);
  const all = await file.readFloat32('logits_unpadded_row0');
  await file.close();
  return { ids, logits: all.slice(all.length - ids.length * vocab) };
}

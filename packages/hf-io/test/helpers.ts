import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** Reference fixtures made by Hugging Face transformers/peft/tokenizers (fixtures/make_hf_fixtures.py). */
export const HF_FIXTURES = fileURLToPath(new URL('../../../fixtures/hf/', import.meta.url));

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'svdecode-hf-io-'));
  dirs.push(dir);
  return dir;
}

/** Builds a safetensors image by hand: 8-byte length, header text as given, then data bytes. */
export function rawSafetensors(
  header: string | object,
  data: Uint8Array | number = 0,
  headerLength?: number,
): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(text);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  return out;
}

export async function writeTemp(name: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, bytes);
  return path;
}

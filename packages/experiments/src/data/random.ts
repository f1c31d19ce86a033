import { mulberry32 } from '@svdecode/core';

/** A seeded PRNG (mulberry32) and shuffle: the data build is reproducible to the byte. */
export function seeded(seed: number): () => number {
  return mulberry32(seed >>> 0 || 1);
}

export function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

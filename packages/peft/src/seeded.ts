import { mulberry32 } from '@svdecode/core';

/** A seeded uniform [0, 1) stream (mulberry32): same seed, same stream. */
export function seededRandom(seed: number): () => number {
  return mulberry32((seed * 2654435761) >>> 0 || 1);
}

/** Seeded uniform [-scale, scale) or normal(0, scale) values (Box-Muller). */
export function seededValues(
  n: number,
  seed: number,
  kind: 'uniform' | 'normal',
  scale: number,
): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] =
      kind === 'uniform'
        ? (2 * next() - 1) * scale
        : scale * Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/**
 * A seedable PRNG (xoshiro128**, 32-bit integer arithmetic only): the same seed gives the same
 * stream on every platform and engine. State is four uint32 words, cheap to clone.
 */
export class Rng {
  #s: Uint32Array;

  constructor(seed: number | Uint32Array = 0) {
    if (seed instanceof Uint32Array) {
      this.#s = Uint32Array.from(seed);
      return;
    }
    // splitmix32 expands the seed into the state
    this.#s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** Next uint32. */
  nextUint32(): number {
    return this.#nextInt32() >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    // signed 32-bit intermediates stay small integers in V8 (no boxed number per call)
    const hi = this.#nextInt32() >>> 5; // 27 bits
    const lo = this.#nextInt32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  #nextInt32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) | 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  clone(): Rng {
    return new Rng(this.#s);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

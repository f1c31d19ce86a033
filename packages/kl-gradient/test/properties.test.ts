import { describe, expect, it } from 'vitest';
import { normals, rng } from '../../../fixtures/steering-golden.js';
import { BANNED_LOG_PROB, createSteeringBuffers, steeringVector, steerLogits } from '../src/index.js';

function softmax(z: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function kl(q: number[], p: number[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) if (q[i]! > 0) s += q[i]! * Math.log(q[i]! / p[i]!);
  return s;
}

const cases = Array.from({ length: 20 }, (_, k) => {
  const v = 2 + Math.floor(rng(k + 100)() * 63); // 2..64
  return { v, adapted: normals(v, 3 * k + 1, 2), base: normals(v, 3 * k + 2, 2), seed: k };
});

describe('steering vector properties (random inputs)', () => {
  it('sums to zero', () => {
    for (const c of cases) {
      const { delta } = steeringVector(c.adapted, c.base);
      const sum = delta.reduce((a, b) => a + b, 0);
      const norm = delta.reduce((a, b) => a + Math.abs(b), 0);
      expect(Math.abs(sum)).toBeLessThan(1e-6 * Math.max(norm, 1e-12) + 1e-9);
    }
  });

  it('is exactly zero when both models agree', () => {
    for (const c of cases) {
      const s = steeringVector(c.adapted, Float32Array.from(c.adapted));
      expect(s.kl).toBe(0);
      expect(s.delta.every((d) => d === 0)).toBe(true);
    }
  });

  it('equals the explicit softmax-Jacobian product J (-(r + 1)) for V <= 64', () => {
    for (const c of cases) {
      const p = softmax(c.adapted);
      const q = softmax(c.base);
      const g = p.map((pi, i) => -(Math.log(pi) - Math.log(q[i]!) + 1));
      const { delta } = steeringVector(c.adapted, c.base);
      for (let i = 0; i < c.v; i++) {
        let jg = 0;
        for (let j = 0; j < c.v; j++) jg += ((i === j ? p[i]! : 0) - p[i]! * p[j]!) * g[j]!;
        expect(Math.abs(delta[i]! - jg)).toBeLessThan(1e-6 + 1e-4 * Math.abs(jg));
      }
    }
  });

  it('Theorem 2: d/dmu KL(q || softmax(z + mu delta)) at 0 equals <p - q, delta>', () => {
    for (const c of cases) {
      const q = softmax(normals(c.v, c.seed + 999, 1.5)); // any target distribution
      const s = steeringVector(c.adapted, c.base);
      const p = softmax(c.adapted);
      const at = (mu: number) => kl(q, softmax(Array.from(c.adapted, (z, i) => z + mu * s.delta[i]!)));
      const h = 1e-4;
      const numeric = (at(h) - at(-h)) / (2 * h);
      const analytic = p.reduce((acc, pi, i) => acc + (pi - q[i]!) * s.delta[i]!, 0);
      expect(Math.abs(numeric - analytic)).toBeLessThan(1e-5 + 1e-3 * Math.abs(analytic));
    }
  });

  it('mask keeps exactly the tokens with p >= alpha * max p', () => {
    for (const c of cases) {
      for (const alpha of [0.05, 0.1, 0.5, 1]) {
        const p = softmax(c.adapted);
        const pmax = Math.max(...p);
        const { mask } = steeringVector(c.adapted, c.base, { alpha });
        expect(Array.from(mask)).toEqual(p.map((pi) => (pi >= alpha * pmax ? 1 : 0)));
      }
    }
  });
});

describe('steerLogits', () => {
  it('a negative mu with lambda = -Infinity never un-masks a token', () => {
    for (const c of cases) {
      const s = steeringVector(c.adapted, c.base);
      for (const mu of [-1e6, -3, -0.01, 0.5, 1e6]) {
        const z = steerLogits(c.adapted, s, mu);
        for (let i = 0; i < c.v; i++) {
          if (!s.mask[i]) expect(z[i]).toBe(Number.NEGATIVE_INFINITY);
          else expect(Number.isFinite(z[i]!)).toBe(true);
        }
      }
    }
  });

  it('mu = 0 is no steering: every logit unchanged, masked ones too; finite lambda shifts the masked ones by mu * lambda', () => {
    const c = cases[3]!;
    const s = steeringVector(c.adapted, c.base);
    expect(s.kept).toBeLessThan(c.v); // the mask removes something, and mu = 0 must not
    for (const lambda of [Number.NEGATIVE_INFINITY, -1]) {
      const z0 = steerLogits(c.adapted, s, 0, { lambda });
      expect(Array.from(z0)).toEqual(Array.from(c.adapted));
    }
    const z = steerLogits(c.adapted, s, 2, { lambda: -1 });
    for (let i = 0; i < c.v; i++) if (!s.mask[i]) expect(z[i]).toBeCloseTo(c.adapted[i]! - 2, 5);
  });

  it('writes into the given buffer, in place if asked', () => {
    const c = cases[5]!;
    const s = steeringVector(c.adapted, c.base);
    const expected = steerLogits(c.adapted, s, 1.5);
    const inPlace = Float32Array.from(c.adapted);
    expect(steerLogits(inPlace, s, 1.5, { out: inPlace })).toBe(inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(expected));
  });

  it('rejects a non-finite mu, a +Infinity lambda and mismatched lengths', () => {
    const c = cases[0]!;
    const s = steeringVector(c.adapted, c.base);
    expect(() => steerLogits(c.adapted, s, Number.NaN)).toThrow(/mu/);
    expect(() => steerLogits(c.adapted, s, 1, { lambda: Number.POSITIVE_INFINITY })).toThrow(/lambda/);
    expect(() => steerLogits(new Float32Array(c.v + 1), s, 1)).toThrowError(
      expect.objectContaining({ code: 'VOCAB_MISMATCH' }),
    );
  });
});

describe('robustness', () => {
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return 'none';
  };

  it('rejects different lengths, NaN, +Infinity and alpha outside (0, 1]', () => {
    const a = Float32Array.from([1, 2, 3]);
    expect(codeOf(() => steeringVector(a, Float32Array.from([1, 2])))).toBe('VOCAB_MISMATCH');
    expect(codeOf(() => steeringVector(Float32Array.from([1, Number.NaN, 3]), a))).toBe('NON_FINITE_LOGITS');
    expect(codeOf(() => steeringVector(a, Float32Array.from([1, 2, Number.NaN])))).toBe('NON_FINITE_LOGITS');
    expect(codeOf(() => steeringVector(a, Float32Array.from([1, Number.POSITIVE_INFINITY, 3])))).toBe(
      'NON_FINITE_LOGITS',
    );
    expect(
      codeOf(() =>
        steeringVector(
          Float32Array.from([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]),
          Float32Array.from([0, 0]),
        ),
      ),
    ).toBe('NON_FINITE_LOGITS');
    for (const alpha of [0, -0.1, 1.5, Number.NaN])
      expect(codeOf(() => steeringVector(a, a, { alpha }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => steeringVector(a, a, { alpha: 1 }))).toBe('none');
    expect(codeOf(() => steeringVector(a, a, { out: createSteeringBuffers(4) }))).toBe('VOCAB_MISMATCH');
    try {
      steeringVector(Float32Array.from([1, Number.NaN, 3]), a);
    } catch (e) {
      expect((e as { details: Record<string, unknown> }).details).toMatchObject({
        which: 'adapted',
        index: 1,
      });
    }
  });

  it('a token the adapted model bans contributes nothing', () => {
    const adapted = Float32Array.from([2, Number.NEGATIVE_INFINITY, 0.5, 1]);
    const base = Float32Array.from([1, 3, 0.5, 2]);
    const s = steeringVector(adapted, base);
    expect(s.delta[1]).toBe(0);
    expect(s.mask[1]).toBe(0);
    // same as dropping the token altogether
    const dropped = steeringVector(Float32Array.from([2, 0.5, 1]), Float32Array.from([1, 0.5, 2]));
    const renorm = steeringVector(adapted, Float32Array.from([1, Number.NEGATIVE_INFINITY, 0.5, 2]));
    expect(Array.from(renorm.delta.filter((_, i) => i !== 1))).toEqual(
      Array.from(dropped.delta).map((d) => Math.fround(d)),
    );
    expect(renorm.kl).toBeCloseTo(dropped.kl, 12);
    expect(Number.isFinite(s.kl)).toBe(true);
  });

  it('a token the base bans but the adapted model allows stays finite (BANNED_LOG_PROB floor)', () => {
    const adapted = Float32Array.from([2, 1, 0.5]);
    const base = Float32Array.from([2, Number.NEGATIVE_INFINITY, 0.5]);
    const s = steeringVector(adapted, base);
    expect(Number.isFinite(s.kl)).toBe(true);
    expect(s.delta.every(Number.isFinite)).toBe(true);
    // the floor equals a base log-probability of BANNED_LOG_PROB for that token
    const lpA = Math.log(softmax(adapted)[1]!);
    expect(s.kl).toBeGreaterThan(softmax(adapted)[1]! * (lpA - BANNED_LOG_PROB) - 1);
    expect(s.delta[1]).toBeLessThan(0); // steering points back toward the base, away from the token
    // a base that bans everything still gives finite numbers
    const all = steeringVector(
      adapted,
      Float32Array.from([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    );
    expect(all.delta.every(Number.isFinite) && Number.isFinite(all.kl)).toBe(true);
    // the same floor everywhere is a constant shift of r, so it steers as a uniform base would
    const uniform = steeringVector(adapted, new Float32Array(3));
    for (let i = 0; i < 3; i++) expect(all.delta[i]).toBeCloseTo(uniform.delta[i]!, 6);
  });

  it('uses extreme finite logits exactly and stays finite (+-1e4, ties, large V)', () => {
    const v = 151_936;
    const adapted = normals(v, 7, 3);
    const base = normals(v, 8, 3);
    adapted[10] = 1e4;
    adapted[11] = 1e4; // exact tie at the maximum
    adapted[12] = -1e4;
    base[10] = -1e4;
    base[13] = 1e4;
    const s = steeringVector(adapted, base);
    expect(Number.isFinite(s.kl)).toBe(true);
    expect(s.delta.every(Number.isFinite)).toBe(true);
    expect(s.mask[10]).toBe(1);
    expect(s.mask[11]).toBe(1);
    expect(s.kept).toBe(2);
    // p is 0.5 on tokens 10 and 11, so KL = (r10 + r11) / 2 and delta10 = (r11 - r10) / 4 = -delta11, where
    // r10 - r11 = b11 - b10 exactly (the -1e4 is used as it is, not clamped)
    const expected = -(1e4 + base[11]!) / 4;
    expect(s.delta[10]! / expected).toBeCloseTo(1, 5);
    expect(s.delta[11]! / -expected).toBeCloseTo(1, 5);
    const logZB = 1e4; // base[13] dominates
    const kl = 0.5 * (-Math.log(2) - (-1e4 - logZB)) + 0.5 * (-Math.log(2) - (base[11]! - logZB));
    expect(s.kl / kl).toBeCloseTo(1, 5);
  });

  it('reuses the buffers it is given', () => {
    const a = normals(100, 1);
    const b = normals(100, 2);
    const out = createSteeringBuffers(100);
    const s = steeringVector(a, b, { out });
    expect(s.delta).toBe(out.delta);
    expect(s.mask).toBe(out.mask);
    const fresh = steeringVector(a, b);
    expect(Array.from(s.delta)).toEqual(Array.from(fresh.delta));
  });
});

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normals } from '../../../fixtures/steering-golden.js';
import {
  activeSteeringKernel,
  createSteeringBuffers,
  oneConfidentToken,
  type Steering,
  steeringVector,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function both(adapted: Float32Array, base: Float32Array, alpha = 0.1): [Steering, Steering] {
  const wasm = steeringVector(adapted, base, { alpha, out: createSteeringBuffers(adapted.length) });
  const js = steeringVector(adapted, base, {
    alpha,
    out: createSteeringBuffers(adapted.length),
    kernel: 'js',
  });
  return [wasm, js];
}

/** Equal within 1e-5 (relative above 1), masks and kept counts identical. */
function expectSame([wasm, js]: [Steering, Steering], label: string) {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y));
  expect(close(wasm.kl, js.kl), `${label}: kl ${wasm.kl} vs ${js.kl}`).toBe(true);
  expect(close(wasm.logZ, js.logZ), `${label}: logZ ${wasm.logZ} vs ${js.logZ}`).toBe(true);
  expect(wasm.kept, label).toBe(js.kept);
  for (let i = 0; i < js.delta.length; i++) {
    if (!close(wasm.delta[i]!, js.delta[i]!))
      expect.fail(`${label}: delta[${i}] = ${wasm.delta[i]} vs ${js.delta[i]}`);
    if (wasm.mask[i] !== js.mask[i]) expect.fail(`${label}: mask[${i}] = ${wasm.mask[i]} vs ${js.mask[i]}`);
  }
}

describe('the WebAssembly SIMD steering kernel', () => {
  it('is the kernel this runtime uses (Node 20 runs wasm SIMD)', () => {
    expect(activeSteeringKernel()).toBe('wasm-simd');
  });

  it('equals the JavaScript kernel on random logits of every length and scale, V = 151,936 included', () => {
    const sizes = [1, 2, 3, 4, 5, 7, 33, 1000, 32_000, 151_936];
    for (const [k, v] of sizes.entries()) {
      for (const scale of [0.01, 2, 8, 30]) {
        const adapted = normals(v, 10 * k + 1, scale);
        const base = normals(v, 10 * k + 2, scale);
        for (const alpha of [0.1, 1, 1e-4])
          expectSame(both(adapted, base, alpha), `V ${v} scale ${scale} alpha ${alpha}`);
      }
    }
  });

  it('equals it on peaked, tied, identical and partly banned (adapted -Infinity) logits', () => {
    const v = 1001;
    const peaked = normals(v, 3, 1);
    peaked[7] = 40;
    expectSame(both(peaked, normals(v, 4, 1)), 'peaked');
    const tied = new Float32Array(v).fill(0.5);
    expectSame(both(tied, normals(v, 5, 1)), 'flat tie');
    const same = normals(v, 6, 3);
    const [wasm] = both(same, Float32Array.from(same));
    expect(wasm.kl).toBe(0);
    expect(wasm.delta.every((d) => d === 0)).toBe(true);
    const banned = normals(v, 7, 3);
    for (let i = 0; i < v; i += 3) banned[i] = Number.NEGATIVE_INFINITY;
    expectSame(both(banned, normals(v, 8, 3)), 'adapted bans a third');
  });

  it('decides tokens at the mask threshold exactly as the JavaScript test and oneConfidentToken do', () => {
    for (const alpha of [0.1, 0.37, 1e-3]) {
      // a top token at 0 and many tokens within a few float32 steps of ln(alpha) around the threshold
      const near = Array.from({ length: 400 }, (_, i) => Math.fround(Math.log(alpha) + (i - 200) * 2e-8));
      const adapted = Float32Array.from([0, ...near]);
      const pair = both(adapted, normals(adapted.length, 9, 1), alpha);
      expectSame(pair, `threshold, alpha ${alpha}`);
      expect(pair[0].kept).toBeGreaterThan(1);
      expect(pair[0].kept).toBeLessThan(adapted.length);
      // a single token just above the threshold beside the top one: the set has two tokens
      const two = Float32Array.from([
        0,
        ...near.filter((x) => Math.fround(Math.exp(x)) >= alpha).slice(0, 1),
        -50,
      ]);
      const [w2] = both(two, Float32Array.of(0, 0, 0), alpha);
      expect(w2.kept).toBe(2);
      expect(oneConfidentToken(two, alpha)).toBe(false);
    }
  });

  it('leaves base-banned tokens and bad logits to the JavaScript kernel: same values, same errors', () => {
    const adapted = normals(64, 11, 2);
    const base = normals(64, 12, 2);
    base[5] = Number.NEGATIVE_INFINITY;
    expectSame(both(adapted, base), 'base bans one token');
    expectSame(both(adapted, new Float32Array(64).fill(Number.NEGATIVE_INFINITY)), 'base bans all');
    const bad = Float32Array.from(adapted);
    bad[9] = Number.NaN;
    expect(() => steeringVector(bad, base)).toThrow(expect.objectContaining({ code: 'NON_FINITE_LOGITS' }));
    bad[9] = Number.POSITIVE_INFINITY;
    expect(() => steeringVector(adapted, bad)).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_LOGITS' }),
    );
    const allBanned = new Float32Array(64).fill(Number.NEGATIVE_INFINITY);
    expect(() => steeringVector(allBanned, base)).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_LOGITS' }),
    );
  });

  it('is built from the committed text module (the bytes are its assembly)', () => {
    const script = join(here, '..', 'scripts', 'assemble-kernel.mjs');
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});

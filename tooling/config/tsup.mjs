// Shared tsup preset: every package builds ESM + .d.ts for Node 20 into dist/.
// Plain JS on purpose: tsup loads config files through bundle-require, which leaves workspace
// packages external, so a TypeScript preset would reach Node untranspiled.
import { defineConfig } from 'tsup';

/**
 * @param {import('tsup').Options} [overrides]
 */
export function packageConfig(overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    ...overrides,
  });
}

// Shared vitest preset: tests sit next to the code (`foo.ts`, `foo.test.ts`) or in test/.
import { defineConfig } from 'vitest/config';

/**
 * @param {import('vitest/config').UserConfig['test']} [overrides]
 */
export function packageVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 60_000,
      allowOnly: false,
      passWithNoTests: false,
      ...overrides,
    },
  });
}

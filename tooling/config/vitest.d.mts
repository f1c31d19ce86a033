import type { UserConfig } from 'vitest/config';
export declare function packageVitestConfig(overrides?: UserConfig['test']): UserConfig;

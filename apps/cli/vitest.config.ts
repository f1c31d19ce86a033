import { packageVitestConfig } from '@svdecode/tooling/vitest';

// the end-to-end tests run the built CLI as child processes, one file after another
export default packageVitestConfig({ testTimeout: 300_000, hookTimeout: 300_000, fileParallelism: false });

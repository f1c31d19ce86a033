import { packageVitestConfig } from '@svdecode/tooling/vitest';

// one file at a time: every file starts a server on the single-threaded tfjs-wasm backend;
// --expose-gc lets the load test compare heap sizes after collection
export default packageVitestConfig({
  testTimeout: 120_000,
  hookTimeout: 120_000,
  fileParallelism: false,
  poolOptions: { forks: { execArgv: ['--expose-gc'] } },
});

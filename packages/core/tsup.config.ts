import { packageConfig } from '@svdecode/tooling/tsup';

export default packageConfig({
  entry: { index: 'src/index.ts', 'test/index': 'src/test/index.ts' },
  external: ['vitest'],
});

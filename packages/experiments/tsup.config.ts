import { packageConfig } from '@svdecode/tooling/tsup';

export default packageConfig({
  entry: { index: 'src/index.ts', build: 'src/data/build.ts', 'study-worker': 'src/study/worker-process.ts' },
});

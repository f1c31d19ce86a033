import { packageConfig } from '@svdecode/tooling/tsup';

export default packageConfig({ entry: ['src/index.ts'] });

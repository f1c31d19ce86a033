import { packageConfig } from '@svdecode/tooling/tsup';

export default packageConfig({ entry: ['src/main.ts', 'src/index.ts'] });

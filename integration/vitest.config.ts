import { packageVitestConfig } from '@svdecode/tooling/vitest';

export default packageVitestConfig();

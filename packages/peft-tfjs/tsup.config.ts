import { packageConfig } from '@svdecode/tooling/tsup';

export default packageConfig();

// Shared test helpers come from @svdecode/testkit and @svdecode/core/test; this file only quiets logs.
export { maxAbsDiff } from '@svdecode/core/test';
export { tempDir } from '@svdecode/testkit';

process.env.SVDECODE_QUIET = '1';

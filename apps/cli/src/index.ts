export { fingerprintAdapter, fingerprintModel } from '@svdecode/hf-io';
export { EXIT_CODES, exitCodeOf } from './exit-codes.js';
export { buildProgram } from './program.js';
export type { SteeringFile } from './steering-file.js';
export { readSteeringFile, STEERING_FORMAT } from './steering-file.js';

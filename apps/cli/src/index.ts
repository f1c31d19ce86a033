export { EXIT_CODES, exitCodeOf } from './exit-codes.js';
export { buildProgram } from './program.js';

export type { ErrorCode, ErrorKind, SvdecodeErrorOptions } from './errors.js';
export { ERROR_CODES, isSvdecodeError, SvdecodeError } from './errors.js';
export type { CausalLM, DecodeSession, ModelInfo } from './model.js';
export type { PairedLogits, PairedSession } from './paired.js';
export { pairSessions } from './paired.js';
export type { BackendFactory, BackendStatus, ModelBackend } from './registry.js';
export { BackendRegistry, modelBackends } from './registry.js';
export type { Tokenizer } from './tokenizer.js';
export { checkNoNaN, checkSameVocab, checkTokens } from './validate.js';

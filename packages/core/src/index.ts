export type { ErrorCode, ErrorKind, SvdecodeErrorOptions } from './errors.js';
export { ERROR_CODES, isSvdecodeError, SvdecodeError } from './errors.js';
export { LazyBaseCosts, type LazyStepKind } from './lazy-costs.js';
export type { CausalLM, DecodeSession, ModelInfo } from './model.js';
export { pairModels, steeringSession } from './pair-models.js';
export type {
  LazyPairedSession,
  ModelSteering,
  PairedCausalLM,
  PairedLogits,
  PairedSession,
  SteeredStep,
} from './paired.js';
export { isLazyPaired, isPaired } from './paired.js';
export { mulberry32 } from './random.js';
export type {
  BackendFactory,
  BackendStatus,
  LoadedModel,
  ModelBackend,
  ModelLoadOptions,
  Provenance,
} from './registry.js';
export { BackendRegistry, chooseModelBackend, modelBackends } from './registry.js';
export type { PairedRowRunner, RowKind, RowRun, RowRunner } from './row-runner.js';
export type { RowSessionStart } from './row-sessions.js';
export { LazyPairedRowSession, PairedRowSession, RowSession } from './row-sessions.js';
export type { TokenizedRow } from './rows.js';
export { lazyPairSessions, pairSessions } from './session-pairs.js';
export type { Tokenizer } from './tokenizer.js';
export { checkNoNaN, checkSameVocab, checkTokens } from './validate.js';

/** Re-exported from @svdecode/kl-gradient (one implementation). */
export { logSumExp } from '@svdecode/kl-gradient';
export { SamplerChain } from './chain.js';
export type { FinishReason, GenerationResult, StepEvent, TokenProb } from './events.js';
export { generate, generateAll } from './generate.js';
export type { GenerateOptions, Strategy } from './options.js';
export { buildChain } from './options.js';
export { Rng } from './random.js';
export { countAlive, keepTopK, kthLargest, maxLogit, topIdsSorted } from './select.js';
export type { SamplerContext, SamplerStage, Selector } from './stage.js';
export {
  LogitBiasStage,
  logitBias,
  MinPStage,
  minP,
  RepetitionPenaltyStage,
  repetitionPenalty,
  TemperatureStage,
  TopKStage,
  TopPStage,
  temperature,
  topK,
  topP,
} from './stages/filters.js';
export { DrawSelector, draw, GreedySelector, greedy } from './stages/selectors.js';
export { SteerStage, steer } from './stages/steer.js';
export { GenerationStream } from './stream.js';

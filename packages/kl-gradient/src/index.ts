export { oneConfidentToken } from './confident-set.js';
export { logSumExp } from './log-sum-exp.js';
export type { SteeringSettings } from './steer-logits.js';
export { steerLogits } from './steer-logits.js';
export type { Steering, SteeringBuffers, SteeringKernel } from './steering-types.js';
export {
  activeSteeringKernel,
  BANNED_LOG_PROB,
  checkAlpha,
  createSteeringBuffers,
  DEFAULT_ALPHA,
  steeringVector,
} from './steering-vector.js';

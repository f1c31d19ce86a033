/** Re-exported from @svdecode/kl-gradient (one implementation). */
export { logSumExp } from '@svdecode/kl-gradient';
export type {
  CalibrateOptions,
  CalibrationExample,
  CalibrationProgress,
  CalibrationResult,
} from './calibrate.js';
export { calibrate } from './calibrate.js';
export type {
  AggregateName,
  CrossValidation,
  HeldOutEstimate,
  StrengthDecision,
} from './cross-validation.js';
export { AGGREGATES, assignFolds, guardStrength } from './cross-validation.js';
export { DEFAULT_QUANTILES, histogramSorted, quantileSorted, trimmedMeanSorted } from './distribution.js';
export type { StrengthCoverage, StrengthEstimatorOptions, StrengthSummary } from './estimator.js';
export { StrengthEstimator } from './estimator.js';
export type { LossDerivatives, Minimum, RowChanges, RowFilter } from './steered-cross-entropy.js';
export { SteeredCrossEntropy } from './steered-cross-entropy.js';
export type { SteeringFile } from './steering-file.js';
export {
  aggregatesOf,
  checkSteeringMatches,
  readSteeringFile,
  STEERING_FORMAT,
  toJson,
  writeSteeringFile,
} from './steering-file.js';
export type { TokenStrength } from './token-strength.js';
export { DEFAULT_EPS, tokenStrength } from './token-strength.js';

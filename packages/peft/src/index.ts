// @svdecode/peft: what PEFT adapters are, without a tensor library. The tfjs runtime (AdaptedModel,
// hooks, prompt methods, warm-start) is @svdecode/peft-tfjs.
export type { LinearDelta, LinearName } from '@svdecode/hf-io';
export { applyLinearDelta, parseLinearModule } from '@svdecode/hf-io';
export { checkLoaded } from './check-loaded.js';
export { invalid, reader } from './config-reader.js';
export type { Ia3Config, LoraConfig, PrefixTuningConfig, PromptTuningConfig } from './configs.js';
export {
  IA3_DEFAULTS,
  LORA_DEFAULTS,
  parseIa3Config,
  parseLoraConfig,
  parsePrefixTuningConfig,
  parsePromptTuningConfig,
} from './configs.js';
export type { FileLinearAdapter } from './file-adapter.js';
export { loadLinearAdapter } from './file-adapter.js';
export type { AdapterDirectory, AdapterTensor } from './files.js';
export {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  readAdapterConfig,
  readAdapterDirectory,
  writeAdapterDirectory,
} from './files.js';
export type { Method, ModelShape } from './methods.js';
export { defaultAdapterConfig, METHODS } from './methods.js';
export { seededRandom, seededValues } from './seeded.js';
export { isTarget, linearModules, patternValue, targetedModules } from './targets.js';

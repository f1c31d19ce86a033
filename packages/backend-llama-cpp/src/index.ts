export type { LlamaCppOptions } from './llama-model.js';
export { importNodeLlamaCpp, LlamaCppCausalLM, sharedLlama } from './llama-model.js';
export { loadLlamaCppModel } from './load.js';
export { LlamaCppPairedModel } from './paired.js';
export { LOG_PROBABILITY_FLOOR, logProbabilities } from './probabilities.js';
export { LlamaCppTokenizer } from './tokenizer.js';

/**
 * Test helpers for svdecode backends and tools: the CausalLM conformance suite (needs vitest) and
 * small deterministic models for unit tests.
 */

export type { ConformanceOptions } from './conformance.js';
export { describeCausalLMConformance, expectCode, maxAbsDiff } from './conformance.js';
export type { FunctionModelOptions } from './function-model.js';
export { createToyModel, FunctionModel } from './function-model.js';
export type { PairedConformanceOptions, PairedConformanceSubject } from './paired-conformance.js';
export { describePairedCausalLMConformance } from './paired-conformance.js';

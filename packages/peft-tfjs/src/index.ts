// @svdecode/peft-tfjs: PEFT adapters running on TensorFlow.js. Importing it registers the built-in
// types (LoRA, IA3, prompt tuning, P-tuning, P-tuning v2) through registerAdapter, the call a custom
// type uses too. Everything backend-free (configs, targets, files) is @svdecode/peft, re-exported here.
export * from '@svdecode/peft';
/** The TensorFlow.js instance adapters run on (one copy in the process: user tensors must come from it). */
export * as tf from '@tensorflow/tfjs-core';
export { AdaptedModel } from './adapted-model.js';
export type { Adapter, AdapterContext, AdapterPrefix, AdapterType } from './adapter.js';
export { createAdapter, loadAdapter, saveAdapter } from './io.js';
export { mergeAdapter } from './merge.js';
export { adapterTypes, getAdapterType, registerAdapter } from './registry.js';
export type { TrainingExample, TrainingProgress, WarmStartOptions, WarmStartResult } from './train.js';
export { warmStart } from './train.js';

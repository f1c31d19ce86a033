export type { BpeOptions } from './bpe.js';
export { byteToUnicode, trainByteLevelBpe } from './bpe.js';
export { buildCorpus } from './corpus.js';
export type { Country, Definition, SentimentWord } from './facts.js';
export { loadCountries, loadDefinitions, loadSentimentWords } from './facts.js';
export { seeded, shuffle } from './random.js';
export type { McRow, PromptCompletion, TaskSplits } from './tasks.js';
export { buildTasks } from './tasks.js';

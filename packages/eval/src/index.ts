export type { BootstrapInterval, BootstrapOptions } from './bootstrap.js';
export { pairedBootstrap } from './bootstrap.js';
export type { MultipleChoiceRow, PromptCompletionRow, TruthfulQaItem } from './datasets.js';
export {
  loadMultipleChoiceJsonl,
  loadPromptCompletionJsonl,
  loadTruthfulQaCsv,
  loadTruthfulQaHf,
  loadTruthfulQaMcTask,
  readJsonl,
} from './datasets.js';
export type { ScoredQuestion } from './metrics.js';
export {
  argmax,
  exactMatch,
  mc1Harness,
  mc1Original,
  mc1Paper,
  mc2Harness,
  mc2Original,
  mc2Paper,
  mc3Original,
  mc3Paper,
  normalise,
  normaliseAnswer,
  parseTemplateAnswer,
} from './metrics.js';
export type { ChoiceScores, EvalOptions, McRowResult } from './scoring.js';
export { evaluateByGeneration, evaluateMultipleChoice, evaluateTruthfulQa, scoreChoices } from './scoring.js';
export type { GridOptions, GridRow, SteerSetting } from './strength-grid.js';
export { evaluateChoicesGrid, evaluateOpenEndedGrid } from './strength-grid.js';
export type { ModelUnderTest, RowOutcome, SplitEvaluationOptions, SplitMetrics } from './task-evaluation.js';
export { encodeRows, evaluateChoices, evaluateOpenEnded } from './task-evaluation.js';
export { fillTemplate, multipleChoiceAnswer, multipleChoicePrompt, trueFalsePrompt } from './templates.js';

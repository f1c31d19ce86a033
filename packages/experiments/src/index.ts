export type {
  Aggregate,
  CalibrationRun,
  ExperimentEvent,
  ExperimentOptions,
  ExperimentResult,
} from './experiment.js';
export { calibrateTask, runExperiment, TINY_LEARNING_RATES } from './experiment.js';
export type { AblationCell, BaseRecord, EstimatorCell, Interval, StudyCell } from './study/aggregate.js';
export { chooseDefaultEstimator, chooseDemoRegime, worthInTraining } from './study/aggregate.js';
export type { EstimatorName } from './study/estimators.js';
export {
  crossValidatedAccuracy,
  ESTIMATORS,
  tunedGuardedStrength,
  tunedStrength,
} from './study/estimators.js';
export type { StudyFingerprint } from './study/fingerprint.js';
export { studyFingerprint } from './study/fingerprint.js';
export type { StudyJob } from './study/jobs.js';
export { executeStudyJob, studyJobs } from './study/jobs.js';
export type { Budget, BudgetName, PlanOptions, StudyRunSpec } from './study/plan.js';
export {
  ABLATION,
  BUDGET_NAMES,
  budget,
  ORACLE_GRID,
  STUDY_BUDGETS,
  studyPlan,
} from './study/plan.js';
export type { StudyCounts, StudyEvent, StudyFailure } from './study/progress.js';
export { formatSeconds, formatStudyEvent } from './study/progress.js';
export type { QueuedStudyJob, QueueOptions } from './study/queue.js';
export { DEFAULT_QUEUE_NAME, runQueued } from './study/queue.js';
export type { StudyWorkersOptions } from './study/queue-worker.js';
export { startStudyWorkers } from './study/queue-worker.js';
export { checkRedis, redactRedisUrl, redisOptions } from './study/redis.js';
export type { StudyReport, Verdict } from './study/report.js';
export { buildStudyReport, writeStudyReport } from './study/report.js';
export type { EstimatorRecord, SettingResult, StudyRunInput, StudyRunRecord } from './study/run.js';
export { evaluateStudyBase, runStudyRun } from './study/run.js';
export type { StudyOptions, StudySummary } from './study/runner.js';
export { reportStudy, runStudy } from './study/runner.js';
export { StudyStore } from './study/store.js';

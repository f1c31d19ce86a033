export type { Split, TaskName } from './embedded.js';
export {
  DEMO_TASK,
  loadTiny,
  TASKS,
  TINY_DEMO_ADAPTER_DIR,
  TINY_DEMO_STEERING_FILE,
  TINY_MODEL_DIR,
  TINY_TASKS_DIR,
  taskFile,
  taskKind,
} from './embedded.js';
export type {
  Aggregate,
  CalibrationRun,
  ExperimentEvent,
  ExperimentOptions,
  ExperimentResult,
} from './experiment.js';
export { calibrateTask, runExperiment, TINY_LEARNING_RATES } from './experiment.js';

export type { DemoRegime } from './demo-regime.js';
export { demoPageDefaults, loadDemoRegime, TINY_DEMO_REGIME_FILE } from './demo-regime.js';
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

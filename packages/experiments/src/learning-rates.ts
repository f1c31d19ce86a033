import type { Method } from '@svdecode/peft-tfjs';

/** Learning rates of the embedded default's warm-start, per method (see the README for why not 5e-5). */
export const TINY_LEARNING_RATES: Record<Method, number> = {
  lora: 1e-3,
  ia3: 1e-2,
  'prompt-tuning': 1e-2,
  'p-tuning-v2': 1e-3,
};

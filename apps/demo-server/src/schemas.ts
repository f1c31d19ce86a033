/** JSON schemas of the request bodies: unknown fields, wrong types and out-of-range values are 400s. */

export interface Limits {
  /** Request body bytes (default 16 KiB). */
  bodyLimit: number;
  /** Prompt characters (default 2,000) and tokens (default 256). */
  maxPromptChars: number;
  maxPromptTokens: number;
  /** Upper bound of max_new_tokens (default 128). */
  maxNewTokens: number;
  /** Generations running at once (default 2) and waiting (default 8); beyond: 429. */
  maxActive: number;
  maxQueued: number;
}

export const DEFAULT_LIMITS: Limits = {
  bodyLimit: 16 * 1024,
  maxPromptChars: 2000,
  maxPromptTokens: 256,
  maxNewTokens: 128,
  maxActive: 2,
  maxQueued: 8,
};

const steering = {
  steer: { type: 'boolean' },
  mu: { type: 'number', minimum: -1e4, maximum: 1e4 },
  alpha: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
} as const;

export function generateSchema(limits: Limits) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['prompt'],
    properties: {
      prompt: { type: 'string', minLength: 1, maxLength: limits.maxPromptChars },
      model: { type: 'string', enum: ['adapted', 'base'] },
      ...steering,
      strategy: { type: 'string', enum: ['greedy', 'sample'] },
      temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
      top_k: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
      max_new_tokens: { type: 'integer', minimum: 1, maximum: limits.maxNewTokens },
      top_tokens: { type: 'integer', minimum: 0, maximum: 20 },
      lazy_base: { type: 'boolean' },
    },
  } as const;
}

export function scoreSchema(limits: Limits) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['prompt', 'choices'],
    properties: {
      prompt: { type: 'string', minLength: 1, maxLength: limits.maxPromptChars },
      choices: {
        type: 'array',
        minItems: 2,
        maxItems: 16,
        items: { type: 'string', minLength: 1, maxLength: 200 },
      },
      ...steering,
      length_normalised: { type: 'boolean' },
    },
  } as const;
}

export interface GenerateBody {
  prompt: string;
  /** 'base': the model before the adapter (never steered); default 'adapted'. */
  model?: 'adapted' | 'base';
  steer?: boolean;
  mu?: number;
  alpha?: number;
  strategy?: 'greedy' | 'sample';
  temperature?: number;
  top_k?: number;
  top_p?: number;
  seed?: number;
  max_new_tokens?: number;
  top_tokens?: number;
  /** false: run the base model every steered step (a KL for every token). */
  lazy_base?: boolean;
}

export interface ScoreBody {
  prompt: string;
  choices: string[];
  steer?: boolean;
  mu?: number;
  alpha?: number;
  length_normalised?: boolean;
}

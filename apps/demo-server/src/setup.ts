import type { PairedCausalLM, Tokenizer } from '@svdecode/core';
import type { StrengthDecision } from '@svdecode/strength';

/** What the server decodes with; chosen at start, never by a request. */
export interface DemoSetup {
  /** The adapted model: plain sessions are PEFT alone, paired sessions add SVDecode. */
  adapted: PairedCausalLM;
  tokenizer: Tokenizer;
  /** The calibrated strength and its per-token distribution (null: requests must give mu). */
  steering: {
    muBar: number;
    alpha: number;
    aggregate: string;
    count: number;
    histogram: { edges: number[]; counts: number[] };
    /** How muBar was decided (the strength guard: aggregate, fitted value, shrink, reason); null in older files. */
    decision?: StrengthDecision | null;
  } | null;
  /** What the page opens with (GET /v1/info `defaults`): a prompt in the demo task's own format, and a line on why. */
  defaults?: { prompt: string; note?: string };
  /** Shown by GET /v1/info: model, adapter, steering file, backend. */
  description: Record<string, unknown>;
}

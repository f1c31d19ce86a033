import type { Tokenizer } from '@svdecode/core';
import { DEFAULT_ALPHA } from '@svdecode/kl-gradient';
import { HttpError } from './http-errors.js';
import type { ConcurrencyGate } from './limiter.js';
import type { Limits } from './schemas.js';
import type { DemoSetup } from './setup.js';

/** What every route needs: the setup, the limits, the gate, and the request checks they share. */
export interface RequestContext {
  setup: DemoSetup;
  limits: Limits;
  gate: ConcurrencyGate;
  encodePrompt(prompt: string): number[];
  steerOf(body: { steer?: boolean; mu?: number; alpha?: number }): { mu: number; alpha: number } | undefined;
  /** Refuses with 429 when the gate is full. */
  admit(): void;
}

export function requestContext(setup: DemoSetup, limits: Limits, gate: ConcurrencyGate): RequestContext {
  const tokenizer: Tokenizer = setup.tokenizer;
  const encodePrompt = (prompt: string): number[] => {
    // the tokenizer's own rule puts BOS first where the model expects it
    const ids = tokenizer.encode(prompt);
    if (ids.length > limits.maxPromptTokens)
      throw new HttpError(
        400,
        'BAD_REQUEST',
        `prompt: ${ids.length} tokens, at most ${limits.maxPromptTokens}`,
        'prompt',
      );
    return ids;
  };
  const steerOf = (body: { steer?: boolean; mu?: number; alpha?: number }) => {
    if (body.steer === false) return undefined;
    const mu = body.mu ?? setup.steering?.muBar;
    if (mu === undefined)
      throw new HttpError(
        400,
        'BAD_REQUEST',
        'mu: no steering file was loaded, so the request must give mu',
        'mu',
      );
    return { mu, alpha: body.alpha ?? setup.steering?.alpha ?? DEFAULT_ALPHA };
  };
  const admit = () => {
    if (!gate.canAdmit())
      throw new HttpError(
        429,
        'BUSY',
        `${gate.active} generations running and ${gate.queued} waiting; retry shortly`,
      );
  };
  return { setup, limits, gate, encodePrompt, steerOf, admit };
}

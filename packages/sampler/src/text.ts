import type { GenerateOptions } from './options.js';

/** Tracks the decoded text and stop strings. */
export class TextTracker {
  text = '';
  stopped = false;
  constructor(
    private readonly options: GenerateOptions,
    private readonly stops: readonly string[],
  ) {}

  /** Decodes the new tokens; returns the piece they added. */
  update(tokens: number[]): string | undefined {
    const tokenizer = this.options.tokenizer;
    if (!tokenizer) return undefined;
    const full = tokenizer.decode(tokens, { skipSpecialTokens: true });
    const piece = full.startsWith(this.text) ? full.slice(this.text.length) : full;
    this.text = full;
    for (const stop of this.stops) {
      const at = full.indexOf(stop);
      if (at >= 0) {
        this.text = full.slice(0, at);
        this.stopped = true;
      }
    }
    return piece;
  }
}

import { SvdecodeError } from '@svdecode/core';
import type { GenerationResult, StepEvent } from './events.js';

/**
 * A running generation: iterate it for step events; `result` resolves to the final result (reading
 * it without iterating drives the generation to the end). Breaking out of the loop stops the
 * generation and disposes its sessions.
 */
export class GenerationStream implements AsyncIterable<StepEvent> {
  readonly #gen: AsyncGenerator<StepEvent, GenerationResult>;
  readonly #result: Promise<GenerationResult>;
  #resolve!: (value: GenerationResult) => void;
  #reject!: (error: unknown) => void;
  #started = false;

  readonly #stop: AbortController;

  constructor(gen: AsyncGenerator<StepEvent, GenerationResult>, stop: AbortController) {
    this.#gen = gen;
    this.#stop = stop;
    this.#result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => {}); // the error also reaches the iterating caller
  }

  get result(): Promise<GenerationResult> {
    if (!this.#started) this.#drain().catch(() => {}); // a failure rejects #result already
    return this.#result;
  }

  [Symbol.asyncIterator](): AsyncIterator<StepEvent> {
    if (this.#started) throw new SvdecodeError('BAD_ARGUMENT', 'a generation can be iterated once');
    this.#started = true;
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<StepEvent, void> {
    let finished = false;
    try {
      for (;;) {
        const next = await this.#gen.next();
        if (next.done) {
          finished = true;
          this.#resolve(next.value);
          return;
        }
        yield next.value;
      }
    } catch (error) {
      finished = true;
      this.#reject(error);
      throw error;
    } finally {
      if (!finished) {
        // the consumer stopped early: abort, and let the generation reach its end (which disposes
        // the sessions and reports the tokens so far)
        this.#stop.abort();
        try {
          for (;;) {
            const next = await this.#gen.next();
            if (next.done) {
              this.#resolve(next.value);
              break;
            }
          }
        } catch (error) {
          this.#reject(error);
        }
      }
    }
  }

  async #drain(): Promise<void> {
    for await (const _ of this) {
      // events are dropped; the result carries the tokens
    }
  }
}

import { SvdecodeError } from '@svdecode/core';
import type { SamplerContext, SamplerStage, Selector } from './stage.js';

/**
 * Stages applied in order, then a selector. A chain is itself a stage (`apply` runs the stages),
 * so chains nest. `sample` copies the adapted logits into the chain's own buffer, applies the
 * stages and selects: the caller's arrays are never modified.
 */
export class SamplerChain implements SamplerStage {
  readonly name: string;
  #work: Float32Array = new Float32Array(0);

  constructor(
    readonly stages: readonly SamplerStage[],
    readonly selector?: Selector,
    name = 'chain',
  ) {
    this.name = name;
  }

  apply(logits: Float32Array, ctx: SamplerContext): void {
    for (const stage of this.stages) stage.apply(logits, ctx);
  }

  accept(token: number): void {
    for (const stage of this.stages) stage.accept?.(token);
  }

  reset(): void {
    for (const stage of this.stages) stage.reset?.();
    this.selector?.reset?.();
  }

  clone(): SamplerChain {
    return new SamplerChain(
      this.stages.map((s) => s.clone?.() ?? s),
      this.selector?.clone?.() ?? this.selector,
      this.name,
    );
  }

  /**
   * Runs the stages on a copy of `ctx.adapted` and returns the processed logits (the chain's own
   * buffer, valid until the next call).
   */
  process(ctx: SamplerContext): Float32Array {
    if (this.#work.length !== ctx.adapted.length) this.#work = new Float32Array(ctx.adapted.length);
    this.#work.set(ctx.adapted);
    this.apply(this.#work, ctx);
    return this.#work;
  }

  /** process + select. */
  sample(ctx: SamplerContext): number {
    if (!this.selector)
      throw new SvdecodeError('BAD_ARGUMENT', `sampler chain "${this.name}" has no selector`);
    return this.selector.select(this.process(ctx), ctx);
  }
}

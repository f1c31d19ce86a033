import { SvdecodeError } from '@svdecode/core';
import { countAlive, keepTopK, maxLogit, sumExp, topIdsSorted } from '../select.js';
import type { SamplerContext, SamplerStage } from '../stage.js';

const NEG_INF = Number.NEGATIVE_INFINITY;

function bad(message: string, details: Record<string, unknown>): never {
  throw new SvdecodeError('BAD_ARGUMENT', message, { details });
}

/** Divides the logits by `t` (> 0). In place. */
export class TemperatureStage implements SamplerStage {
  readonly name = 'temperature';
  constructor(readonly temperature: number) {
    if (!(temperature > 0 && Number.isFinite(temperature))) {
      bad(`temperature must be a positive number, got ${temperature} (use the greedy strategy for 0)`, {
        temperature,
      });
    }
  }
  apply(logits: Float32Array): void {
    if (this.temperature === 1) return;
    const inv = 1 / this.temperature;
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * inv;
  }
}

/** Keeps the k highest logits (ties at the boundary to the lower ids), by partial selection. In place. */
export class TopKStage implements SamplerStage {
  readonly name = 'top-k';
  #scratch = new Float32Array(0);
  constructor(readonly k: number) {
    if (!(Number.isInteger(k) && k >= 1)) bad(`top-k needs an integer k >= 1, got ${k}`, { k });
  }
  apply(logits: Float32Array): void {
    if (this.#scratch.length !== logits.length) this.#scratch = new Float32Array(logits.length);
    keepTopK(logits, this.k, this.#scratch);
  }
  clone(): TopKStage {
    return new TopKStage(this.k);
  }
}

/**
 * Nucleus sampling: keeps the smallest set of highest-probability tokens (ordered by probability,
 * then id) whose mass reaches p. Finds it by partial selection of the top 64, 256, 1024... tokens
 * instead of sorting the vocabulary. In place.
 */
export class TopPStage implements SamplerStage {
  readonly name = 'top-p';
  #scratch = new Float32Array(0);
  #ids = new Uint32Array(64);
  constructor(readonly p: number) {
    if (!(p > 0 && p <= 1)) bad(`top-p needs p in (0, 1], got ${p}`, { p });
  }
  apply(logits: Float32Array): void {
    if (this.p >= 1) return;
    const alive = countAlive(logits);
    if (alive <= 1) return;
    if (this.#scratch.length !== logits.length) this.#scratch = new Float32Array(logits.length);
    const max = maxLogit(logits);
    const z = sumExp(logits, max);
    for (let m = 64; ; m *= 4) {
      if (this.#ids.length < Math.min(m, alive)) this.#ids = new Uint32Array(Math.min(m, alive));
      const n = topIdsSorted(logits, m, this.#ids, this.#scratch);
      let cum = 0;
      for (let j = 0; j < n; j++) {
        cum += Math.exp(logits[this.#ids[j]!]! - max) / z;
        if (cum >= this.p) {
          cutAfter(logits, this.#ids[j]!);
          return;
        }
      }
      if (n >= alive) return; // rounding left the total just below p: keep everything
    }
  }
  clone(): TopPStage {
    return new TopPStage(this.p);
  }
}

/** Removes every token ranked after `last` in (logit desc, id asc) order. */
function cutAfter(logits: Float32Array, last: number): void {
  const v = logits[last]!;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!;
    if (x < v || (x === v && i > last)) logits[i] = NEG_INF;
  }
}

/** Keeps tokens with probability >= minP * (top probability). In place. */
export class MinPStage implements SamplerStage {
  readonly name = 'min-p';
  constructor(readonly minP: number) {
    if (!(minP >= 0 && minP <= 1)) bad(`min-p needs a value in [0, 1], got ${minP}`, { minP });
  }
  apply(logits: Float32Array): void {
    if (this.minP === 0) return;
    const cut = maxLogit(logits) + Math.log(this.minP);
    for (let i = 0; i < logits.length; i++) if (logits[i]! < cut) logits[i] = NEG_INF;
  }
}

/**
 * Repetition penalty (CTRL / Hugging Face): every token already in the history has its logit
 * divided by `penalty` when positive, multiplied when negative. In place.
 */
export class RepetitionPenaltyStage implements SamplerStage {
  readonly name = 'repetition-penalty';
  #stamp = new Uint32Array(0);
  #epoch = 0;
  constructor(readonly penalty: number) {
    if (!(penalty > 0 && Number.isFinite(penalty)))
      bad(`repetition penalty must be > 0, got ${penalty}`, { penalty });
  }
  apply(logits: Float32Array, ctx: SamplerContext): void {
    if (this.penalty === 1) return;
    if (this.#stamp.length !== logits.length) {
      this.#stamp = new Uint32Array(logits.length);
      this.#epoch = 0;
    }
    this.#epoch = (this.#epoch + 1) >>> 0 || 1;
    for (const t of ctx.history) {
      if (t < 0 || t >= logits.length || this.#stamp[t] === this.#epoch) continue;
      this.#stamp[t] = this.#epoch;
      const v = logits[t]!;
      logits[t] = v > 0 ? v / this.penalty : v * this.penalty;
    }
  }
  clone(): RepetitionPenaltyStage {
    return new RepetitionPenaltyStage(this.penalty);
  }
}

/** Adds a fixed bias per token id (-Infinity bans it). In place. */
export class LogitBiasStage implements SamplerStage {
  readonly name = 'logit-bias';
  readonly #ids: Uint32Array;
  readonly #bias: Float32Array;
  constructor(bias: Record<number, number> | ReadonlyMap<number, number>) {
    const entries =
      bias instanceof Map
        ? [...bias.entries()]
        : Object.entries(bias).map(([k, v]) => [Number(k), v] as const);
    for (const [id, b] of entries) {
      if (!(Number.isInteger(id) && id >= 0)) bad(`logit bias token ${id} is not a token id`, { token: id });
      if (Number.isNaN(b) || b === Number.POSITIVE_INFINITY)
        bad(`logit bias for token ${id} must be finite or -Infinity`, { token: id });
    }
    this.#ids = Uint32Array.from(entries.map((e) => e[0]));
    this.#bias = Float32Array.from(entries.map((e) => e[1]));
  }
  apply(logits: Float32Array): void {
    for (let j = 0; j < this.#ids.length; j++) {
      const id = this.#ids[j]!;
      if (id >= logits.length) {
        throw new SvdecodeError(
          'TOKEN_OUT_OF_RANGE',
          `logit bias names token ${id}, outside the vocabulary (${logits.length})`,
        );
      }
      logits[id] = logits[id]! + this.#bias[j]!;
    }
  }
}

export const temperature = (t: number) => new TemperatureStage(t);
export const topK = (k: number) => new TopKStage(k);
export const topP = (p: number) => new TopPStage(p);
export const minP = (p: number) => new MinPStage(p);
export const repetitionPenalty = (penalty: number) => new RepetitionPenaltyStage(penalty);
export const logitBias = (bias: Record<number, number> | ReadonlyMap<number, number>) =>
  new LogitBiasStage(bias);

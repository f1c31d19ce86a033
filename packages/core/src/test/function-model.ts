import { SvdecodeError } from '../errors.js';
import type { CausalLM, DecodeSession, ModelInfo } from '../model.js';
import { checkTokens } from '../validate.js';

export interface FunctionModelOptions {
  vocabSize: number;
  /** Next-token logits for a context (the whole token history). Must be deterministic. */
  logits(context: readonly number[]): Float32Array;
  name?: string;
}

/** A CausalLM defined by a function of the context: for unit tests of code that drives models. */
export class FunctionModel implements CausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  /** Sessions created and not yet disposed (tests count them to prove cleanup). */
  liveSessions = 0;
  /** Total positions computed, for tests that check work is not repeated. */
  positionsComputed = 0;

  constructor(private readonly options: FunctionModelOptions) {
    this.vocabSize = options.vocabSize;
    this.info = { name: options.name ?? 'function-model', backend: 'toy', vocabSize: options.vocabSize };
  }

  createSession(): DecodeSession {
    return new FunctionSession(this, []);
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const out = new Float32Array(tokens.length * this.vocabSize);
    const context: number[] = [];
    for (let t = 0; t < tokens.length; t++) {
      context.push(tokens[t]!);
      out.set(this.logitsFor(context), t * this.vocabSize);
    }
    return out;
  }

  /** @internal */
  logitsFor(context: readonly number[]): Float32Array {
    this.positionsComputed++;
    const logits = this.options.logits(context);
    if (logits.length !== this.vocabSize) {
      throw new SvdecodeError(
        'VOCAB_MISMATCH',
        `logits function returned ${logits.length} values, expected ${this.vocabSize}`,
      );
    }
    return Float32Array.from(logits);
  }
}

class FunctionSession implements DecodeSession {
  #disposed = false;

  constructor(
    private readonly model: FunctionModel,
    private readonly context: number[],
  ) {
    model.liveSessions++;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  get length(): number {
    return this.context.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
    checkTokens(tokens, this.model.vocabSize);
    for (let i = 0; i < tokens.length; i++) this.context.push(tokens[i]!);
    return this.model.logitsFor(this.context);
  }

  fork(): DecodeSession {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
    return new FunctionSession(this.model, [...this.context]);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.model.liveSessions--;
  }
}

/**
 * A deterministic pseudo-random language model: logits are a hash of (seed, context, token), spread
 * over roughly [-scale, scale]. Same seed, same logits, on every platform.
 */
export function createToyModel(
  options: { vocabSize?: number; seed?: number; scale?: number } = {},
): FunctionModel {
  const vocabSize = options.vocabSize ?? 32;
  const seed = options.seed ?? 1;
  const scale = options.scale ?? 4;
  return new FunctionModel({
    vocabSize,
    name: `toy-v${vocabSize}-s${seed}`,
    logits(context) {
      let h = mix32(seed ^ 0x9e3779b9);
      for (const t of context) h = mix32(h ^ Math.imul(t + 1, 0x85ebca6b));
      const out = new Float32Array(vocabSize);
      for (let v = 0; v < vocabSize; v++) {
        const r = mix32(h ^ Math.imul(v + 1, 0xc2b2ae35)) / 0x100000000;
        out[v] = (r * 2 - 1) * scale;
      }
      return out;
    },
  });
}

/** A 32-bit integer hash (murmur3 finaliser), returned as an unsigned number. */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

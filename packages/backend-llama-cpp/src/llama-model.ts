import { basename } from 'node:path';
import {
  type CausalLM,
  checkTokens,
  type DecodeSession,
  type ModelInfo,
  SvdecodeError,
} from '@svdecode/core';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { logProbabilities } from './probabilities.js';
import { LlamaCppTokenizer } from './tokenizer.js';

export interface LlamaCppOptions {
  /**
   * Threads per context (default 1). Measured on a 2-core machine: a step took 100-600 ms with two
   * threads and under 1 ms with one, and the paired model runs its two contexts side by side.
   */
  threads?: number;
  /** Context size in tokens (default: the model's training context, at most 4096). */
  contextSize?: number;
  /**
   * KV cache element type (default F32). llama.cpp's own default, F16, moves log-probabilities by
   * about 4e-3 on the embedded model; F32 keeps them within 2e-5 of the tfjs forward.
   */
  kvCacheType?: 'F32' | 'F16';
}

let llamaInstance: Promise<Llama> | undefined;

/** node-llama-cpp is an optional peer: users of the other backends never install it. */
export async function importNodeLlamaCpp(): Promise<typeof import('node-llama-cpp')> {
  try {
    return await import('node-llama-cpp');
  } catch (error) {
    throw new SvdecodeError(
      'NO_BACKEND',
      'the llama-cpp backend needs node-llama-cpp, which is not installed',
      {
        hint: 'npm install node-llama-cpp@3.21.1 (its CPU binaries ship in the package; nothing is built).',
        cause: error,
      },
    );
  }
}

/** The process's llama.cpp instance: CPU, prebuilt binaries only (nothing is downloaded or built). */
export function sharedLlama(): Promise<Llama> {
  llamaInstance ??= (async () => {
    const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp();
    return getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  })();
  return llamaInstance;
}

interface Evaluator {
  context: LlamaContext;
  sequence: LlamaContextSequence;
}

/**
 * One decoding session on a context of its own (llama.cpp keeps one KV cache per sequence; a
 * context per session keeps forks independent). The context is made on the first `append`, and a
 * fork replays its parent's tokens there, so `fork` stays synchronous as the contract wants.
 */
export class LlamaCppSession implements DecodeSession {
  #evaluator: Promise<Evaluator> | undefined;
  #history: number[];
  /** Tokens of the history the context has not evaluated yet (a fork's replay). */
  #unevaluated: number[];
  #disposed = false;

  constructor(
    private readonly owner: LlamaCppCausalLM,
    private readonly lora: { filePath: string; scale: number } | undefined,
    history: number[] = [],
  ) {
    this.#history = [...history];
    this.#unevaluated = [...history];
    owner.liveSessions++;
  }

  get vocabSize(): number {
    return this.owner.vocabSize;
  }

  get length(): number {
    return this.#history.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    const rows = await this.#evaluate(tokens, false);
    return rows;
  }

  /** Every position's log-probabilities (row-major, as `CausalLM.score`), in one evaluation. */
  async appendAll(tokens: ArrayLike<number>): Promise<Float32Array> {
    return this.#evaluate(tokens, true);
  }

  async #evaluate(tokens: ArrayLike<number>, everyPosition: boolean): Promise<Float32Array> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
    checkTokens(tokens, this.vocabSize);
    const total = this.#history.length + tokens.length;
    if (total > this.owner.contextSize) {
      throw new SvdecodeError(
        'CONTEXT_OVERFLOW',
        `${total} tokens exceed the context of ${this.owner.contextSize}`,
        {
          details: { contextSize: this.owner.contextSize },
        },
      );
    }
    const replay = this.#unevaluated.length;
    const ids = [...this.#unevaluated, ...Array.from(tokens)];
    const wanted = (i: number) => i === ids.length - 1 || (everyPosition && i >= replay);
    const input = ids.map((id, i) => (wanted(i) ? [id, { generateNext: { probabilities: true } }] : id));
    this.#evaluator ??= this.owner.createEvaluator(this.lora);
    const { sequence } = await this.#evaluator;
    // node-llama-cpp's Token is a branded number
    const output = await sequence.controlledEvaluate(
      input as Parameters<LlamaContextSequence['controlledEvaluate']>[0],
    );
    const V = this.vocabSize;
    const rows = everyPosition ? tokens.length : 1;
    const out = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      const probabilities = output[ids.length - rows + r]?.next.probabilities;
      if (!probabilities) throw new SvdecodeError('BACKEND_FAILED', 'llama.cpp returned no probabilities');
      logProbabilities(probabilities as ReadonlyMap<number, number>, out.subarray(r * V, (r + 1) * V));
    }
    this.#unevaluated = [];
    for (let i = 0; i < tokens.length; i++) this.#history.push(tokens[i]!);
    return out;
  }

  fork(): LlamaCppSession {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
    return new LlamaCppSession(this.owner, this.lora, this.#history);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.owner.liveSessions--;
    void this.#evaluator?.then(({ context }) => context.dispose());
  }
}

/** The vocabulary size a GGUF file declares (`<arch>.vocab_size`, else its token list). */
function vocabularySize(model: LlamaModel): number {
  const metadata = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  const arch = model.fileInfo.metadata.general.architecture as string;
  const declared = metadata[arch]?.vocab_size;
  if (typeof declared === 'number') return declared;
  const tokens = (metadata.tokenizer as { ggml?: { tokens?: unknown[] } } | undefined)?.ggml?.tokens;
  if (Array.isArray(tokens)) return tokens.length;
  throw new SvdecodeError(
    'CONFIG_INVALID',
    `${model.filename}: no vocab_size and no token list in the GGUF metadata`,
  );
}

/** A GGUF model on llama.cpp as a `CausalLM` (logits are log-probabilities: see probabilities.ts). */
export class LlamaCppCausalLM implements CausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  readonly contextSize: number;
  /** llama.cpp's tokenizer of the file (see tokenizer.ts). */
  readonly tokenizer: LlamaCppTokenizer;
  liveSessions = 0;

  constructor(
    readonly model: LlamaModel,
    readonly file: string,
    private readonly options: LlamaCppOptions,
    /** The adapter plain sessions of this model use (the adapted model of a pair). */
    private readonly lora?: { filePath: string; scale: number },
  ) {
    this.vocabSize = vocabularySize(model);
    this.tokenizer = new LlamaCppTokenizer(model, this.vocabSize);
    this.contextSize = Math.min(options.contextSize ?? model.trainContextSize, 4096);
    this.info = {
      name: basename(file),
      backend: 'llama.cpp',
      vocabSize: this.vocabSize,
      maxPositions: this.contextSize,
      architecture: model.fileInfo.metadata.general.architecture,
    };
  }

  /** @internal a context with one sequence, with the adapter when given. */
  async createEvaluator(lora?: { filePath: string; scale: number }): Promise<Evaluator> {
    const context = await this.model.createContext({
      contextSize: this.contextSize,
      sequences: 1,
      threads: this.options.threads ?? 1,
      // CPU flash attention computes in F16 (log-probabilities off by up to 1e-2): exact attention
      flashAttention: false,
      experimentalKvCacheKeyType: this.options.kvCacheType ?? 'F32',
      experimentalKvCacheValueType: this.options.kvCacheType ?? 'F32',
      ...(lora ? { lora: { adapters: [{ filePath: lora.filePath, scale: lora.scale }] } } : {}),
    });
    return { context, sequence: context.getSequence() };
  }

  createSession(): DecodeSession {
    return new LlamaCppSession(this, this.lora);
  }

  /** @internal a session of the base model (no adapter), for the paired model. */
  createBaseSession(): DecodeSession {
    return new LlamaCppSession(this, undefined);
  }

  /** @internal teacher-forced log-probabilities of the base model (no adapter). */
  async scoreBase(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const session = new LlamaCppSession(this, undefined);
    try {
      return await session.appendAll(tokens);
    } finally {
      session.dispose();
    }
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const session = new LlamaCppSession(this, this.lora);
    try {
      return await session.appendAll(tokens);
    } finally {
      session.dispose();
    }
  }

  dispose(): void {
    void this.model.dispose();
  }
}

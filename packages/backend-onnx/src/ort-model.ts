import { basename, join, resolve } from 'node:path';
import {
  type CausalLM,
  checkTokens,
  type DecodeSession,
  LazyBaseCosts,
  type LazyPairedSession,
  type ModelInfo,
  type PairedCausalLM,
  type PairedLogits,
  type PairedSession,
  SvdecodeError,
} from '@svdecode/core';
import { f16ToFloat32, fileExists, loadTokenizer, readJsonFile } from '@svdecode/hf-io';
import * as ort from 'onnxruntime-node';

export interface LoadOnnxOptions {
  /** Intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Display name (default: the directory name). */
  name?: string;
  /**
   * Which graph of an onnx-community directory to load, named as transformers.js names them
   * (`fp32` onnx/model.onnx, `fp16` model_fp16.onnx, `q8` / `quantized` model_quantized.onnx,
   * `int8`, `uint8`, `q4`, `q4f16`, `bnb4`). Default: fp32 when present, else the first of the list.
   */
  dtype?: OnnxDtype;
}

/** transformers.js's dtype names and the file suffix each selects. */
export const ONNX_DTYPES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  quantized: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type OnnxDtype = keyof typeof ONNX_DTYPES;

interface Shape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

const KNOWN_INPUTS =
  /^(input_ids|attention_mask|position_ids|use_cache_branch|adapter_scale|logits_to_keep|num_logits_to_keep|past_key_values\.\d+\.(key|value))$/;

/** Where an Optimum decoder directory keeps its graph of a dtype, in the order they are looked for. */
function graphFiles(suffix: string): string[] {
  return [
    `onnx/model${suffix}.onnx`,
    `onnx/decoder_model_merged${suffix}.onnx`,
    `model${suffix}.onnx`,
    `decoder_model_merged${suffix}.onnx`,
  ];
}

/**
 * The decoder graph of an Optimum / onnx-community model directory, or undefined when it has none:
 * the graph of `dtype` when given, else fp32, else the first dtype found (fp16, q8, int8, uint8, q4,
 * q4f16, bnb4). External data files (`model.onnx_data`) beside a graph are read by onnxruntime.
 */
export async function findOnnxGraph(dir: string, dtype?: OnnxDtype): Promise<string | undefined> {
  const suffixes = dtype ? [ONNX_DTYPES[dtype]] : [...new Set(Object.values(ONNX_DTYPES))];
  for (const suffix of suffixes)
    for (const candidate of graphFiles(suffix))
      if (await fileExists(join(dir, candidate))) return join(dir, candidate);
  return undefined;
}

/** The dtypes whose graphs a directory holds (for error messages). */
export async function availableDtypes(dir: string): Promise<OnnxDtype[]> {
  const found: OnnxDtype[] = [];
  for (const dtype of Object.keys(ONNX_DTYPES) as OnnxDtype[])
    if (dtype !== 'quantized' && (await findOnnxGraph(dir, dtype))) found.push(dtype);
  return found;
}

/**
 * An Optimum-format decoder (`onnx/model.onnx`, or the older `onnx/decoder_model_merged.onnx` with
 * `use_cache_branch`) run by onnxruntime-node, as a `CausalLM` with a KV cache. float16 caches stay
 * float16; float16 logits are converted. A model exported with `paired: true` also gives
 * `createPairedSession()` (base and adapted rows in one run).
 */
export class OnnxCausalLM implements CausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  readonly paired: boolean;
  readonly #hasPositions: boolean;
  readonly #merged: boolean;
  readonly #logitsToKeep: string | undefined;
  liveSessions = 0;

  protected constructor(
    readonly session: ort.InferenceSession,
    readonly shape: Shape,
    info: Omit<ModelInfo, 'vocabSize'>,
    readonly cacheType: 'float32' | 'float16',
  ) {
    this.vocabSize = shape.vocab;
    this.info = { ...info, vocabSize: shape.vocab };
    this.paired = session.inputNames.includes('adapter_scale');
    this.#hasPositions = session.inputNames.includes('position_ids');
    this.#merged = session.inputNames.includes('use_cache_branch');
    this.#logitsToKeep = session.inputNames.find((n) => n === 'logits_to_keep' || n === 'num_logits_to_keep');
  }

  static async load(dir: string, options: LoadOnnxOptions = {}): Promise<OnnxCausalLM> {
    const root = resolve(dir);
    const configPath = join(root, 'config.json');
    if (!(await fileExists(configPath))) {
      throw new SvdecodeError('FILE_NOT_FOUND', `${root}: no config.json — not an Optimum model directory`, {
        details: { dir: root, file: 'config.json' },
      });
    }
    if (options.dtype !== undefined && !(options.dtype in ONNX_DTYPES)) {
      throw new SvdecodeError('BAD_ARGUMENT', `unknown ONNX dtype ${JSON.stringify(options.dtype)}`, {
        hint: `Use one of ${Object.keys(ONNX_DTYPES).join(', ')}.`,
        details: { dtype: options.dtype },
      });
    }
    const file = await findOnnxGraph(root, options.dtype);
    if (!file && options.dtype) {
      const available = await availableDtypes(root);
      throw new SvdecodeError(
        'FILE_NOT_FOUND',
        `${root}: no ${options.dtype} graph (onnx/model${ONNX_DTYPES[options.dtype]}.onnx)`,
        {
          hint:
            available.length > 0
              ? `This directory has: ${available.join(', ')}.`
              : 'The directory has no decoder graph.',
          details: { dir: root, dtype: options.dtype, available },
        },
      );
    }
    if (!file) {
      throw new SvdecodeError(
        'FILE_NOT_FOUND',
        `${root}: no onnx/model.onnx (or onnx/decoder_model_merged.onnx) — not an Optimum decoder`,
        {
          details: { dir: root, file: 'onnx/model.onnx' },
        },
      );
    }
    const config = (await readJsonFile(configPath)) as Record<string, number>;
    const heads = config.num_attention_heads!;
    const session = await ort.InferenceSession.create(file, {
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    });
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input)) {
        throw new SvdecodeError(
          'ONNX_INVALID',
          `${file}: the graph has no "${input}" input — not an Optimum decoder`,
          { details: { file, input } },
        );
      }
    }
    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.test(n));
    if (unknown.length > 0) {
      throw new SvdecodeError(
        'ONNX_UNSUPPORTED_INPUT',
        `${file}: unsupported graph inputs ${unknown.join(', ')}`,
        { details: { file, inputs: unknown } },
      );
    }
    const layers = session.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
    if (layers === 0) {
      throw new SvdecodeError(
        'ONNX_INVALID',
        `${file}: the graph has no past_key_values inputs — export it with the KV cache (Optimum "with-past")`,
        {
          details: { file },
        },
      );
    }
    const shape: Shape = {
      layers,
      kvHeads: config.num_key_value_heads ?? heads,
      headDim: config.head_dim ?? config.hidden_size! / heads,
      vocab: config.vocab_size!,
    };
    const metadata = (session as unknown as { inputMetadata?: Array<{ name: string; type?: string }> })
      .inputMetadata;
    const pastType = metadata?.find((m) => m.name === 'past_key_values.0.key')?.type;
    const cacheType = pastType === 'float16' || /_(fp16|q4f16)\.onnx$/.test(file) ? 'float16' : 'float32';
    if (await fileExists(join(root, 'tokenizer.json'))) {
      const tokenizer = await loadTokenizer(root);
      if (tokenizer.vocabSize > shape.vocab) {
        throw new SvdecodeError(
          'VOCAB_MISMATCH',
          `${root}: tokenizer.json has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${shape.vocab}`,
          {
            details: { tokenizer: tokenizer.vocabSize, model: shape.vocab },
          },
        );
      }
    }
    // a paired export (adapter_scale input) is a PairedCausalLM
    const Model = session.inputNames.includes('adapter_scale') ? PairedOnnxCausalLM : OnnxCausalLM;
    return new Model(
      session,
      shape,
      {
        name: options.name ?? basename(root),
        backend: 'onnxruntime-node',
        architecture: String(config.model_type),
      },
      cacheType,
    );
  }

  createSession(): DecodeSession {
    return new OrtPlainSession(this, this.paired ? [1] : undefined);
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const { logits } = await this.run(
      Array.from(tokens),
      1,
      0,
      undefined,
      this.paired ? [1] : undefined,
      true,
    );
    return logits.length === tokens.length * this.vocabSize
      ? logits
      : logits.slice(0, tokens.length * this.vocabSize);
  }

  /** One run: `tokens` appended to every row after `past` cached positions. */
  async run(
    tokens: number[],
    rows: number,
    past: number,
    cache: ort.Tensor[] | undefined,
    scale: number[] | undefined,
    keepAll = false,
  ): Promise<{ logits: Float32Array; present: ort.Tensor[]; positions: number }> {
    const { layers, kvHeads, headDim } = this.shape;
    const seq = tokens.length;
    // graphs with logits_to_keep (transformers 4.45+ exports) compute the LM head for the last
    // position only when decoding; 0 keeps every position (teacher forcing)
    const positions = this.#logitsToKeep && !keepAll ? 1 : seq;
    const total = past + seq;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt(tokens[i % seq]!)),
        [rows, seq],
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * total).fill(1n), [rows, total]),
    };
    if (this.#hasPositions) {
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt(past + (i % seq))),
        [rows, seq],
      );
    }
    if (this.#logitsToKeep)
      feeds[this.#logitsToKeep] = new ort.Tensor('int64', BigInt64Array.of(keepAll ? 0n : 1n), []);
    if (this.#merged) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
    if (this.paired)
      feeds.adapter_scale = new ort.Tensor('float32', Float32Array.from(scale ?? new Array(rows).fill(1)), [
        rows,
      ]);
    for (let l = 0; l < layers; l++) {
      for (const [j, kind] of ['key', 'value'].entries()) {
        feeds[`past_key_values.${l}.${kind}`] =
          cache?.[2 * l + j] ??
          (this.cacheType === 'float16'
            ? new ort.Tensor('float16', new Uint16Array(0), [rows, kvHeads, 0, headDim])
            : new ort.Tensor('float32', new Float32Array(0), [rows, kvHeads, 0, headDim]));
      }
    }
    const out = await this.session.run(feeds);
    const present: ort.Tensor[] = [];
    for (let l = 0; l < layers; l++) present.push(out[`present.${l}.key`]!, out[`present.${l}.value`]!);
    const raw = out.logits!;
    // a fresh buffer every run: used as it is, no copy
    const logits =
      raw.type === 'float16' ? f16ToFloat32(raw.data as Uint16Array) : (raw.data as Float32Array);
    return { logits, present, positions };
  }

  dispose(): void {
    void this.session.release();
  }
}

/**
 * A model exported with `paired: true`: its `adapter_scale` input scales the adapter per batch row,
 * so base (scale 0) and adapted (scale 1) logits come from one run of two rows.
 */
export class PairedOnnxCausalLM extends OnnxCausalLM implements PairedCausalLM {
  /** Lazy decoding's running cost estimates, shared by this model's lazy sessions. */
  readonly lazyCosts = new LazyBaseCosts();

  createPairedSession(): PairedSession {
    return new OrtPairedSession(this);
  }

  /**
   * Lazy base decoding: eager steps run base and adapted rows together (as `createPairedSession`);
   * adapted-only steps run one row, and the base row catches up in one run when a step needs it.
   */
  createLazyPairedSession(): LazyPairedSession {
    return new OrtLazyPairedSession(this);
  }

  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    checkTokens(tokens, this.vocabSize);
    const n = tokens.length * this.vocabSize;
    const { logits } = await this.run(Array.from(tokens), 2, 0, undefined, [0, 1], true);
    return { base: logits.slice(0, n), adapted: logits.slice(n, 2 * n) };
  }
}

/** Rows decoding the same tokens with a shared KV cache; `step` returns every row's logits. */
abstract class OrtStepper {
  #cache: ort.Tensor[] | undefined;
  #length = 0;
  #disposed = false;

  constructor(
    protected readonly model: OnnxCausalLM,
    /** Per-row adapter scale for paired exports; undefined for plain graphs (one row). */
    private readonly scale: number[] | undefined,
    from?: OrtStepper,
  ) {
    // onnxruntime outputs are fresh tensors every run and never written in place: forks share them
    if (from) {
      this.#cache = from.#cache;
      this.#length = from.#length;
    }
    model.liveSessions++;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** The last position's logits of row `row` of the latest step. */
  protected async step(tokens: ArrayLike<number>): Promise<(row: number) => Float32Array> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
    checkTokens(tokens, this.model.vocabSize);
    const rows = this.scale?.length ?? 1;
    const seq = tokens.length;
    const { logits, present, positions } = await this.model.run(
      Array.from(tokens),
      rows,
      this.#length,
      this.#cache,
      this.scale,
    );
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during append()');
    this.#cache = present;
    this.#length += seq;
    const V = this.model.vocabSize;
    return (row) => logits.slice((row * positions + positions - 1) * V, (row * positions + positions) * V);
  }

  protected checkForkable(): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#cache = undefined;
    this.model.liveSessions--;
  }
}

class OrtPlainSession extends OrtStepper implements DecodeSession {
  constructor(
    model: OnnxCausalLM,
    private readonly rowScale: number[] | undefined,
    from?: OrtPlainSession,
  ) {
    super(model, rowScale, from);
  }

  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    return (await this.step(tokens))(0);
  }

  fork(): OrtPlainSession {
    this.checkForkable();
    return new OrtPlainSession(this.model, this.rowScale, this);
  }
}

/** Row `row` of a [rows, ...] cache tensor, as a one-row tensor (a copy). */
function cacheRow(t: ort.Tensor, row: number): ort.Tensor {
  const rows = t.dims[0]!;
  const data = t.data as Float32Array | Uint16Array;
  const stride = data.length / rows;
  return new ort.Tensor(t.type as 'float32', data.slice(row * stride, (row + 1) * stride) as Float32Array, [
    1,
    ...t.dims.slice(1),
  ]);
}

/** Two one-row cache tensors of the same length as one [2, ...] tensor. */
function stackRows(a: ort.Tensor, b: ort.Tensor): ort.Tensor {
  const da = a.data as Float32Array | Uint16Array;
  const out = new (da.constructor as Float32ArrayConstructor)(da.length * 2);
  out.set(da as Float32Array, 0);
  out.set(b.data as Float32Array, da.length);
  return new ort.Tensor(a.type as 'float32', out, [2, ...a.dims.slice(1)]);
}

/**
 * A lazy paired session on a paired export. Joint: one [2, ...] cache, base and adapted rows in one
 * run (the eager step). Split: one-row caches, the base one behind by `pending` tokens. It splits on
 * the first adapted-only step and joins again on the first eager step with nothing pending.
 */
class OrtLazyPairedSession implements LazyPairedSession {
  #joint: ort.Tensor[] | undefined;
  #base: ort.Tensor[] | undefined;
  #adapted: ort.Tensor[] | undefined;
  #pending: number[] = [];
  #lastBase: Float32Array | undefined;
  #length = 0;
  #disposed = false;
  readonly costs: LazyBaseCosts;

  constructor(
    private readonly model: PairedOnnxCausalLM,
    from?: OrtLazyPairedSession,
  ) {
    if (from) {
      // onnxruntime outputs are never written in place: forks share them
      this.#joint = from.#joint;
      this.#base = from.#base;
      this.#adapted = from.#adapted;
      this.#pending = [...from.#pending];
      this.#lastBase = from.#lastBase;
      this.#length = from.#length;
    }
    this.costs = model.lazyCosts;
    model.liveSessions++;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  get baseBehind(): number {
    return this.#pending.length;
  }

  #check(what: string, tokens?: ArrayLike<number>): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', `${what}() on a disposed session`);
    if (tokens) checkTokens(tokens, this.model.vocabSize);
  }

  #last(logits: Float32Array, row: number, seq: number): Float32Array {
    const V = this.model.vocabSize;
    return logits.slice((row * seq + seq - 1) * V, (row * seq + seq) * V);
  }

  #split(): void {
    if (!this.#joint) return;
    this.#base = this.#joint.map((t) => cacheRow(t, 0));
    this.#adapted = this.#joint.map((t) => cacheRow(t, 1));
    this.#joint = undefined;
  }

  async #runBase(tokens: number[]): Promise<Float32Array> {
    const past = this.#length - this.#pending.length;
    const { logits, present, positions } = await this.model.run(tokens, 1, past, this.#base, [0]);
    this.#base = present;
    return this.#last(logits, 0, positions);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    this.#check('append', tokens);
    const ids = Array.from(tokens);
    const split = this.#base !== undefined || this.#adapted !== undefined;
    if (split && this.#pending.length > 0) {
      // the base row catches up and takes this step in the same run; the adapted row one step
      const base = await this.#runBase([...this.#pending, ...ids]);
      const { logits, present, positions } = await this.model.run(ids, 1, this.#length, this.#adapted, [1]);
      this.#adapted = present;
      this.#pending = [];
      this.#length += ids.length;
      this.#lastBase = base;
      return { base, adapted: this.#last(logits, 0, positions) };
    }
    if (split) {
      this.#joint = this.#base!.map((t, i) => stackRows(t, this.#adapted![i]!));
      this.#base = undefined;
      this.#adapted = undefined;
    }
    const { logits, present, positions } = await this.model.run(ids, 2, this.#length, this.#joint, [0, 1]);
    this.#joint = present;
    this.#length += ids.length;
    const base = this.#last(logits, 0, positions);
    this.#lastBase = base;
    return { base, adapted: this.#last(logits, 1, positions) };
  }

  async appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array> {
    this.#check('appendAdapted', tokens);
    const ids = Array.from(tokens);
    if (this.#length === 0 && !this.#joint) {
      this.#base = [];
      this.#adapted = undefined;
    } else this.#split();
    const { logits, present, positions } = await this.model.run(ids, 1, this.#length, this.#adapted, [1]);
    this.#adapted = present;
    this.#pending.push(...ids);
    this.#length += ids.length;
    this.#lastBase = undefined;
    return this.#last(logits, 0, positions);
  }

  async catchUpBase(): Promise<Float32Array> {
    this.#check('catchUpBase');
    if (this.#pending.length === 0) {
      if (!this.#lastBase)
        throw new SvdecodeError('BAD_ARGUMENT', 'catchUpBase() before any token was appended');
      return this.#lastBase;
    }
    const base = await this.#runBase(this.#pending);
    this.#pending = [];
    this.#lastBase = base;
    return base;
  }

  fork(): OrtLazyPairedSession {
    this.#check('fork');
    return new OrtLazyPairedSession(this.model, this);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#joint = this.#base = this.#adapted = undefined;
    this.model.liveSessions--;
  }
}

/** Row 0 the base model (adapter scale 0), row 1 the adapted one. */
class OrtPairedSession extends OrtStepper implements PairedSession {
  constructor(model: PairedOnnxCausalLM, from?: OrtPairedSession) {
    super(model, [0, 1], from);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const row = await this.step(tokens);
    return { base: row(0), adapted: row(1) };
  }

  fork(): OrtPairedSession {
    this.checkForkable();
    return new OrtPairedSession(this.model as PairedOnnxCausalLM, this);
  }
}

/** Loads an Optimum decoder directory. */
export function loadOnnxModel(dir: string, options?: LoadOnnxOptions): Promise<OnnxCausalLM> {
  return OnnxCausalLM.load(dir, options);
}

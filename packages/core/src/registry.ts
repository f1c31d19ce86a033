import { SvdecodeError } from './errors.js';
import type { CausalLM } from './model.js';
import type { PairedCausalLM } from './paired.js';
import type { Tokenizer } from './tokenizer.js';

export type BackendFactory<T> = () => T | Promise<T>;

export interface BackendStatus {
  name: string;
  priority: number;
  state: 'not-started' | 'starting' | 'ready' | 'failed';
  error?: string;
}

interface Entry<T> {
  name: string;
  priority: number;
  order: number;
  factory: BackendFactory<T>;
  init?: Promise<T>;
  state: BackendStatus['state'];
  error?: unknown;
}

/**
 * Lazily started backends with priorities. `get()` starts the highest-priority backend that works
 * (falling back down the list), `get(name)` one by name. Each factory runs at most once: concurrent
 * callers share its promise, and a failure is remembered until `reset`.
 */
export class BackendRegistry<T> {
  readonly #entries = new Map<string, Entry<T>>();
  #order = 0;

  constructor(private readonly what = 'backend') {}

  /** Registers (or replaces) a backend. Higher priority wins; ties go to the earlier registration. */
  register(name: string, factory: BackendFactory<T>, priority = 0): void {
    if (!name || typeof factory !== 'function' || !Number.isFinite(priority)) {
      throw new SvdecodeError(
        'BAD_ARGUMENT',
        `register(${JSON.stringify(name)}) needs a name, a factory and a finite priority`,
      );
    }
    this.#entries.set(name, { name, priority, order: this.#order++, factory, state: 'not-started' });
  }

  unregister(name: string): boolean {
    return this.#entries.delete(name);
  }

  /** Registered names, highest priority first. */
  names(): string[] {
    return this.#sorted().map((e) => e.name);
  }

  status(): BackendStatus[] {
    return this.#sorted().map((e) => ({
      name: e.name,
      priority: e.priority,
      state: e.state,
      ...(e.error === undefined ? {} : { error: describe(e.error) }),
    }));
  }

  /** The named backend, or the best one that starts. */
  async get(name?: string): Promise<T> {
    if (name !== undefined) {
      const entry = this.#entries.get(name);
      if (!entry) {
        throw new SvdecodeError(
          'UNKNOWN_BACKEND',
          `no ${this.what} named "${name}" (registered: ${this.names().join(', ') || 'none'})`,
          {
            details: { name, registered: this.names() },
          },
        );
      }
      try {
        return await this.#start(entry);
      } catch (error) {
        throw new SvdecodeError('NO_BACKEND', `${this.what} "${name}" failed to start: ${describe(error)}`, {
          cause: error,
          details: { failures: { [name]: describe(error) } },
        });
      }
    }
    const failures: Record<string, string> = {};
    for (const entry of this.#sorted()) {
      try {
        return await this.#start(entry);
      } catch (error) {
        failures[entry.name] = describe(error);
      }
    }
    const list = Object.entries(failures).map(([n, e]) => `  - ${n}: ${e}`);
    throw new SvdecodeError(
      'NO_BACKEND',
      list.length === 0
        ? `no ${this.what} is registered`
        : `no ${this.what} could start:\n${list.join('\n')}`,
      { details: { failures } },
    );
  }

  /** Forgets a failure (or a started instance) so the next `get` tries again. */
  reset(name?: string): void {
    for (const entry of this.#entries.values()) {
      if (name === undefined || entry.name === name) {
        entry.init = undefined;
        entry.error = undefined;
        entry.state = 'not-started';
      }
    }
  }

  #start(entry: Entry<T>): Promise<T> {
    if (!entry.init) {
      entry.state = 'starting';
      entry.init = (async () => entry.factory())().then(
        (value) => {
          entry.state = 'ready';
          return value;
        },
        (error: unknown) => {
          entry.state = 'failed';
          entry.error = error;
          throw error;
        },
      );
    }
    return entry.init;
  }

  #sorted(): Entry<T>[] {
    return [...this.#entries.values()].sort((a, b) => b.priority - a.priority || a.order - b.order);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A backend that loads models: `load('tiny')`, `load('/path/to/model-dir')`. */
/** Which files a loaded model and its adapter came from: steering files are matched against it. */
export interface Provenance {
  /** The base model's fingerprint (`sha256:...`). */
  base: string;
  /** The adapter's fingerprint, or null without one. */
  adapter: string | null;
  /** Whether the model was exported paired (base and adapted rows in one graph). */
  paired: boolean;
}

/** What `ModelBackend.load` takes: every field is optional, and a backend refuses what it cannot do. */
export interface ModelLoadOptions {
  /**
   * An adapter to attach: a PEFT adapter directory (tfjs, once `@svdecode/peft-tfjs/register` is
   * imported) or a GGUF LoRA file (llama-cpp). Backends whose exports carry the adapter inside
   * (ONNX) refuse it with BAD_ARGUMENT and a hint.
   */
  adapter?: string;
  /** Which graph of an onnx-community directory (`fp32`, `fp16`, `q4`...): ONNX only. */
  dtype?: string;
  /** Threads (llama-cpp: per context). */
  threads?: number;
  /** A directory with the `tokenizer.json` to use instead of the model's own. */
  tokenizerDir?: string;
}

/** A model as a backend loaded it: what the CLI and the demo server need to decode and steer. */
export interface LoadedModel {
  /** The base model as loaded. */
  base: CausalLM;
  /** What plain decoding uses: the adapted model when there is an adapter, else the base model. */
  model: CausalLM;
  /** Base and adapted together (steering, calibration), when the backend gives both. */
  paired?: PairedCausalLM;
  tokenizer: Tokenizer;
  provenance: Provenance;
  /** Frees the adapter and the model. */
  dispose(): void;
}

export interface ModelBackend {
  readonly name: string;
  /** A line about the backend: versions, the device or kernel set in use. */
  describe(): string;
  load(source: string, options?: ModelLoadOptions): Promise<LoadedModel>;
  /**
   * Whether `source` holds a model this backend can load (for example: a directory with
   * safetensors weights, or with an ONNX graph). Absent: the backend claims every source.
   */
  canLoad?(source: string): Promise<boolean>;
}

/** The process-wide registry that backend packages register into when imported. */
export const modelBackends: BackendRegistry<ModelBackend> = new BackendRegistry<ModelBackend>(
  'model backend',
);

/**
 * The backend that loads `source`: the named one, or with `auto` the highest-priority registered
 * backend that starts and says it can load it. NO_BACKEND (with each backend's reason) when none can.
 */
export async function chooseModelBackend(
  source: string,
  name = 'auto',
  registry: BackendRegistry<ModelBackend> = modelBackends,
): Promise<ModelBackend> {
  if (name !== 'auto') return registry.get(name);
  const reasons: Record<string, string> = {};
  for (const candidate of registry.names()) {
    let backend: ModelBackend;
    try {
      backend = await registry.get(candidate);
    } catch (error) {
      reasons[candidate] = describe(error);
      continue;
    }
    if (!backend.canLoad || (await backend.canLoad(source))) return backend;
    reasons[candidate] = 'cannot load this source';
  }
  const list = Object.entries(reasons).map(([n, r]) => `  - ${n}: ${r}`);
  throw new SvdecodeError(
    'NO_BACKEND',
    `no model backend can load ${source}${list.length ? `:\n${list.join('\n')}` : ' (none is registered)'}`,
    {
      hint: 'Pass a Hugging Face model directory (config.json + safetensors) or an Optimum ONNX export, or register a backend that reads this format.',
      details: { source, reasons },
    },
  );
}

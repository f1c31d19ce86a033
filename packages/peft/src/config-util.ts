import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { mulberry32, SvdecodeError } from '@svdecode/core';

export function invalid(source: string, field: string, message: string, value: unknown): never {
  throw new SvdecodeError(
    'CONFIG_INVALID',
    `${source}: field "${field}" ${message} (got ${JSON.stringify(value)})`,
    {
      details: { file: source, field, value },
    },
  );
}

/** Typed readers for adapter_config.json fields: missing -> default, wrong type -> CONFIG_INVALID naming the field. */
export function reader(json: Record<string, unknown>, source: string) {
  const get = (field: string) => (json[field] === null ? undefined : json[field]);
  return {
    int(field: string, fallback: number, min = 1): number {
      const v = get(field) ?? fallback;
      if (!Number.isSafeInteger(v) || (v as number) < min)
        invalid(source, field, `must be an integer >= ${min}`, v);
      return v as number;
    },
    num(field: string, fallback: number, check: (v: number) => boolean = Number.isFinite): number {
      const v = get(field) ?? fallback;
      if (typeof v !== 'number' || !check(v)) invalid(source, field, 'has an invalid value', v);
      return v;
    },
    bool(field: string, fallback: boolean): boolean {
      const v = get(field) ?? fallback;
      if (typeof v !== 'boolean') invalid(source, field, 'must be true or false', v);
      return v;
    },
    str<T extends string>(field: string, fallback: T, allowed?: readonly T[]): T {
      const v = get(field) ?? fallback;
      if (typeof v !== 'string' || (allowed && !allowed.includes(v as T))) {
        invalid(source, field, allowed ? `must be one of ${allowed.join(', ')}` : 'must be a string', v);
      }
      return v as T;
    },
    /** A list of module names, a regex string, or "all-linear". */
    targets(field: string, fallback: string[]): string[] | string {
      const v = get(field) ?? fallback;
      if (typeof v === 'string') return v;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
        invalid(source, field, 'must be a list of module names or a regex string', v);
      return v as string[];
    },
    record(field: string): Record<string, number> {
      const v = get(field) ?? {};
      if (
        typeof v !== 'object' ||
        Array.isArray(v) ||
        !Object.values(v as object).every((x) => typeof x === 'number')
      ) {
        invalid(source, field, 'must map module patterns to numbers', v);
      }
      return v as Record<string, number>;
    },
  };
}

/** The linear modules of a Llama-family model, by Hugging Face path. */
export function linearModules(model: TfjsCausalLM): string[] {
  const out: string[] = [];
  for (let l = 0; l < model.config.numLayers; l++) {
    for (const m of [
      'self_attn.q_proj',
      'self_attn.k_proj',
      'self_attn.v_proj',
      'self_attn.o_proj',
      'mlp.gate_proj',
      'mlp.up_proj',
      'mlp.down_proj',
    ]) {
      out.push(`model.layers.${l}.${m}`);
    }
  }
  return out;
}

/**
 * PEFT's target matching: a list entry matches a module equal to it or ending in `.entry`; a string
 * is a regex that must match the whole module name; "all-linear" takes every linear layer but the
 * LM head.
 */
export function isTarget(module: string, targets: string[] | string): boolean {
  if (typeof targets === 'string')
    return targets === 'all-linear' || new RegExp(`^(?:${targets})$`).test(module);
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

/** PEFT's rank/alpha patterns: the first key that matches the end of the module name. */
export function patternValue(module: string, pattern: Record<string, number>): number | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`(^|\\.)${key}$`).test(module)) return value;
  }
  return undefined;
}

/** A seeded uniform [0, 1) stream (mulberry32): same seed, same stream. */
export function seededRandom(seed: number): () => number {
  return mulberry32((seed * 2654435761) >>> 0 || 1);
}

/** Seeded uniform [-scale, scale) or normal(0, scale) values (Box-Muller). */
export function seededValues(
  n: number,
  seed: number,
  kind: 'uniform' | 'normal',
  scale: number,
): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] =
      kind === 'uniform'
        ? (2 * next() - 1) * scale
        : scale * Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/** Checks a loaded tensor against the expected shape, naming it. */
export function checkLoaded(
  tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  name: string,
  shape: number[],
  source: string,
): Float32Array {
  const t = tensors.get(name);
  if (!t) {
    throw new SvdecodeError('MISSING_WEIGHT', `${source}: adapter tensor "${name}" is missing`, {
      details: { file: source, tensor: name },
    });
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new SvdecodeError(
      'WEIGHT_SHAPE_MISMATCH',
      `${source}: adapter tensor "${name}" has shape [${t.shape.join(', ')}], this model needs [${shape.join(', ')}] — is the adapter for another model?`,
      { details: { file: source, tensor: name, actual: t.shape, expected: shape } },
    );
  }
  return t.values;
}

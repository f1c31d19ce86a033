// Reading adapter_config.json: typed field readers whose errors name the file and the field.
import { SvdecodeError } from '@svdecode/core';

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

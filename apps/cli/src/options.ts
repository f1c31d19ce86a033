import { InvalidArgumentError } from 'commander';

/** A commander argument parser for numbers in a range (errors name the accepted range). */
export function number(
  options: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
) {
  return (raw: string): number => {
    const value = Number(raw);
    const { min, max, integer, exclusiveMin } = options;
    const range = `${integer ? 'an integer' : 'a number'}${min !== undefined ? ` ${exclusiveMin ? '>' : '>='} ${min}` : ''}${max !== undefined ? ` and <= ${max}` : ''}`;
    const ok =
      raw.trim() !== '' &&
      Number.isFinite(value) &&
      (!integer || Number.isInteger(value)) &&
      (min === undefined || (exclusiveMin ? value > min : value >= min)) &&
      (max === undefined || value <= max);
    if (!ok) throw new InvalidArgumentError(`expected ${range}.`);
    return value;
  };
}

/** Flags every command shares. */
export interface CommonFlags {
  verbose?: boolean;
  quiet?: boolean;
  json?: boolean;
}

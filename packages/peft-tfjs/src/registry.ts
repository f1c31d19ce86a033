import { SvdecodeError } from '@svdecode/core';
import type { AdapterType } from './adapter.js';
import { ia3Type } from './ia3.js';
import { loraType } from './lora.js';
import { prefixTuningType } from './prefix-tuning.js';
import { promptTuningType, pTuningType } from './prompt-tuning.js';

const types = new Map<string, AdapterType>();
let builtinsRegistered = false;

/** The built-in types register through the same public call as custom ones, on first use. */
function ensureBuiltins(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  for (const t of [loraType, ia3Type, promptTuningType, pTuningType, prefixTuningType])
    registerAdapter(t as unknown as AdapterType);
}

/**
 * Registers an adapter type (open string types: no edit anywhere else is needed). The built-ins
 * register through this same call. Re-registering a type replaces it.
 */
export function registerAdapter<C extends Record<string, unknown>>(type: AdapterType<C>): void {
  if (!type?.type || typeof type.parseConfig !== 'function' || typeof type.create !== 'function') {
    throw new SvdecodeError('BAD_ARGUMENT', 'registerAdapter needs { type, parseConfig, create }');
  }
  ensureBuiltins();
  types.set(type.type.toUpperCase(), type as unknown as AdapterType);
}

export function getAdapterType(type: string): AdapterType {
  ensureBuiltins();
  const found = types.get(String(type).toUpperCase());
  if (!found) {
    throw new SvdecodeError(
      'BAD_ARGUMENT',
      `unknown adapter type "${type}" (registered: ${adapterTypes().join(', ')})`,
      {
        hint: 'Register it with registerAdapter({ type, parseConfig, create }) before loading.',
        details: { type, registered: adapterTypes() },
      },
    );
  }
  return found;
}

export function adapterTypes(): string[] {
  ensureBuiltins();
  return [...types.values()].map((t) => t.type);
}

import { SvdecodeError } from '@svdecode/core';

// Which linear modules an adapter targets, by Hugging Face module path (PEFT's rules).

/** The linear modules of a Llama-family model, by Hugging Face path. */
export function linearModules(model: { config: { numLayers: number } }): string[] {
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
 * The linear modules of `model` that `targets` selects; CONFIG_INVALID naming the field when none
 * is (a config written for another architecture).
 */
export function targetedModules(
  model: { config: { numLayers: number }; info: { name: string } },
  targets: string[] | string,
  method: string,
): string[] {
  const found = linearModules(model).filter((m) => isTarget(m, targets));
  if (found.length === 0) {
    throw new SvdecodeError(
      'CONFIG_INVALID',
      `${method} target_modules ${JSON.stringify(targets)} match no linear layer of ${model.info.name}`,
      { details: { field: 'target_modules' } },
    );
  }
  return found;
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

import { SvdecodeError } from '@svdecode/core';
import { type LinearAdapter, type LinearDelta, parseLinearModule } from '@svdecode/hf-io';
import { parseIa3Config, parseLoraConfig } from './configs.js';
import { readAdapterDirectory } from './files.js';
import { isTarget, patternValue } from './targets.js';

/** A LoRA or IA3 adapter read from its files: hf-io's `LinearAdapter` with its deltas and its config. */
export type FileLinearAdapter = Required<LinearAdapter> & { readonly config: Record<string, unknown> };

const PREFIX = 'base_model.model.';

/**
 * A LoRA or IA3 adapter directory read straight from its files, without a tensor library or a
 * model: what `@svdecode/onnx-export` needs to merge or pair it. Other types change the input, not
 * the weights: BAD_ARGUMENT.
 */
export async function loadLinearAdapter(dir: string): Promise<FileLinearAdapter> {
  const { config: json, configPath, tensors } = await readAdapterDirectory(dir);
  const type = json.peft_type.toUpperCase();
  const modulesWith = (suffix: string) =>
    [...tensors.keys()]
      .filter((n) => n.startsWith(PREFIX) && n.endsWith(suffix))
      .map((n) => n.slice(PREFIX.length, -suffix.length))
      .filter((m) => parseLinearModule(m) !== undefined);
  if (type === 'LORA') {
    const config = parseLoraConfig(json, configPath);
    const deltas = new Map<string, LinearDelta>();
    for (const module of modulesWith('.lora_A.weight')) {
      const a = tensors.get(`${PREFIX}${module}.lora_A.weight`)!;
      const b = tensors.get(`${PREFIX}${module}.lora_B.weight`);
      if (!b) throw new SvdecodeError('MISSING_WEIGHT', `${configPath}: ${module} has lora_A but no lora_B`);
      const rank = a.shape[0]!;
      const alpha = patternValue(module, config.alpha_pattern) ?? config.lora_alpha;
      const scaling = config.use_rslora ? alpha / Math.sqrt(rank) : alpha / rank;
      deltas.set(module, { kind: 'low-rank', a: a.values, b: b.values, rank, scaling });
    }
    return { type: 'LORA', config, linearDelta: async () => deltas };
  }
  if (type === 'IA3') {
    const config = parseIa3Config(json, configPath);
    const deltas = new Map<string, LinearDelta>();
    for (const module of modulesWith('.ia3_l')) {
      const input = isTarget(module, config.feedforward_modules);
      deltas.set(module, {
        kind: 'scale',
        vector: tensors.get(`${PREFIX}${module}.ia3_l`)!.values,
        axis: input ? 'in' : 'out',
      });
    }
    return { type: 'IA3', config, linearDelta: async () => deltas };
  }
  throw new SvdecodeError(
    'BAD_ARGUMENT',
    `a ${json.peft_type} adapter changes the input, not linear weights`,
    {
      hint: 'Only LoRA and IA3 adapter files merge and export to ONNX without the tfjs runtime; load other types with @svdecode/peft-tfjs.',
      details: { dir, type: json.peft_type },
    },
  );
}

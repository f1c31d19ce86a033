import { join } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { fileExists, readJsonFile } from './json-file.js';
import { checkShape } from './safetensors/convert.js';
import type { TensorInfo } from './safetensors/header.js';
import { SafetensorsFile } from './safetensors/reader.js';

export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
export const SHARD_INDEX_FILE = 'model.safetensors.index.json';

/** Whether `dir` holds a Hugging Face model: `config.json` and safetensors weights (single or sharded). */
export async function holdsSafetensorsModel(dir: string): Promise<boolean> {
  if (!(await fileExists(join(dir, 'config.json')))) return false;
  return (await fileExists(join(dir, SINGLE_WEIGHTS_FILE))) || fileExists(join(dir, SHARD_INDEX_FILE));
}

/** The weights of a model directory, single-file or sharded, read lazily tensor by tensor. */
export class ModelWeights {
  private constructor(
    readonly dir: string,
    private readonly files: SafetensorsFile[],
    private readonly owner: Map<string, SafetensorsFile>,
  ) {}

  /** Opens `model.safetensors`, or the shards listed by `model.safetensors.index.json`. */
  static async open(dir: string): Promise<ModelWeights> {
    const indexPath = join(dir, SHARD_INDEX_FILE);
    if (await fileExists(indexPath)) return ModelWeights.openSharded(dir, indexPath);
    const single = join(dir, SINGLE_WEIGHTS_FILE);
    if (!(await fileExists(single))) {
      throw new SvdecodeError(
        'FILE_NOT_FOUND',
        `${dir}: neither ${SINGLE_WEIGHTS_FILE} nor ${SHARD_INDEX_FILE} exists`,
        {
          details: { dir },
        },
      );
    }
    const file = await SafetensorsFile.open(single);
    return new ModelWeights(dir, [file], new Map(file.names().map((n) => [n, file])));
  }

  private static async openSharded(dir: string, indexPath: string): Promise<ModelWeights> {
    const index = (await readJsonFile(indexPath)) as { weight_map?: unknown };
    const map = index?.weight_map;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) {
      throw new SvdecodeError(
        'CONFIG_INVALID',
        `${indexPath}: field "weight_map" must map tensor names to shard files`,
        {
          details: { file: indexPath, field: 'weight_map' },
        },
      );
    }
    const files = new Map<string, SafetensorsFile>();
    const owner = new Map<string, SafetensorsFile>();
    try {
      for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
        if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
          throw new SvdecodeError(
            'CONFIG_INVALID',
            `${indexPath}: weight_map["${name}"] must be a file name in the same directory`,
            {
              details: { file: indexPath, field: `weight_map.${name}` },
            },
          );
        }
        let file = files.get(shard);
        if (!file) {
          file = await SafetensorsFile.open(join(dir, shard));
          files.set(shard, file);
        }
        if (!file.has(name)) {
          throw new SvdecodeError(
            'MISSING_WEIGHT',
            `${join(dir, shard)}: lacks tensor "${name}" that ${SHARD_INDEX_FILE} places there`,
            {
              details: { file: join(dir, shard), tensor: name },
            },
          );
        }
        owner.set(name, file);
      }
    } catch (error) {
      await Promise.all([...files.values()].map((f) => f.close()));
      throw error;
    }
    return new ModelWeights(dir, [...files.values()], owner);
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  info(name: string): TensorInfo {
    return this.#file(name).info(name);
  }

  /** A weight as float32 (F16/BF16 converted); MISSING_WEIGHT or WEIGHT_SHAPE_MISMATCH name the tensor. */
  async readFloat32(name: string, expectShape?: readonly number[]): Promise<Float32Array> {
    const file = this.#file(name);
    if (expectShape) checkShape(name, file.info(name).shape, expectShape, this.dir);
    return file.readFloat32(name);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }

  #file(name: string): SafetensorsFile {
    const file = this.owner.get(name);
    if (!file) {
      throw new SvdecodeError('MISSING_WEIGHT', `${this.dir}: the checkpoint has no tensor "${name}"`, {
        details: { dir: this.dir, tensor: name },
      });
    }
    return file;
  }
}

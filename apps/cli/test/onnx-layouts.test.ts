import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratch, svdecode } from './run-cli.js';

const dir = scratch();

describe('onnx-community layouts from the command line', () => {
  it('export-onnx --external-data --logits-to-keep; generate picks the graph with --dtype and names what is there', async () => {
    const out = join(dir, 'export');
    const e = await svdecode([
      'export-onnx',
      '--model',
      'tiny',
      '--out',
      out,
      '--external-data',
      '--logits-to-keep',
    ]);
    expect(e.code, e.stderr).toBe(0);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    const args = [
      'generate',
      '--prompt',
      'The capital of France is',
      '--no-steer',
      '--max-new-tokens',
      '8',
      '--json',
    ];
    const tfjs = JSON.parse((await svdecode([...args, '--model', 'tiny'])).stdout);
    const onnx = await svdecode([...args, '--model', out]);
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(JSON.parse(onnx.stdout)).toMatchObject({ backend: 'onnx', tokens: tfjs.tokens });
    // the same graph under transformers.js's q4 name: --dtype q4 loads that file
    copyFileSync(join(out, 'onnx', 'model.onnx'), join(out, 'onnx', 'model_q4.onnx'));
    const q4 = await svdecode([...args, '--model', out, '--dtype', 'q4']);
    expect(JSON.parse(q4.stdout).tokens).toEqual(tfjs.tokens);
    const missing = await svdecode([...args, '--model', out, '--dtype', 'fp16']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^FILE_NOT_FOUND: .* no fp16 graph/m);
    expect(missing.stderr).toMatch(/This directory has: fp32, q4\./);
    const wrong = await svdecode([...args, '--model', 'tiny', '--dtype', 'q4']);
    expect(wrong.stderr).toMatch(/--dtype applies to --backend onnx/);
  });
});

describe('quantized exports from the command line', () => {
  it('export-onnx --dtype q4 (paired) writes onnx/model_q4.onnx; generate loads it and steers', async () => {
    const out = join(dir, 'paired-q4');
    const LORA = new URL('../../../packages/tiny/demo/lora/', import.meta.url).pathname;
    const e = await svdecode([
      'export-onnx',
      '--model',
      'tiny',
      '--adapter',
      LORA,
      '--paired',
      '--dtype',
      'q4',
      '--out',
      out,
      '--json',
    ]);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ kind: 'paired (adapter_scale input)', dtype: 'q4' });
    expect(readdirSync(join(out, 'onnx'))).toEqual(['model_q4.onnx']);
    const g = await svdecode([
      'generate',
      '--model',
      out,
      '--prompt',
      'The capital of France is',
      '--mu',
      '0.5',
      '--max-new-tokens',
      '6',
      '--json',
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ backend: 'onnx', mu: 0.5 });
    expect(JSON.parse(g.stdout).tokens).toHaveLength(6);
  });

  it('export-onnx --dtype q4 --quantize-embeddings writes a smaller graph that generates; without --dtype it is refused', async () => {
    const plain = join(dir, 'q4-plain');
    const small = join(dir, 'q4-embeddings');
    expect((await svdecode(['export-onnx', '--model', 'tiny', '--dtype', 'q4', '--out', plain])).code).toBe(
      0,
    );
    const e = await svdecode([
      'export-onnx',
      '--model',
      'tiny',
      '--dtype',
      'q4',
      '--quantize-embeddings',
      '--out',
      small,
    ]);
    expect(e.code, e.stderr).toBe(0);
    const size = (d: string) => statSync(join(d, 'onnx', 'model_q4.onnx')).size;
    expect(size(small)).toBeLessThan(size(plain) - 1_000_000);
    const g = await svdecode([
      'generate',
      '--model',
      small,
      '--prompt',
      'The capital of France is',
      '--no-steer',
      '--max-new-tokens',
      '6',
      '--json',
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).tokens).toHaveLength(6);
    const refused = await svdecode([
      'export-onnx',
      '--model',
      'tiny',
      '--quantize-embeddings',
      '--out',
      join(dir, 'nope'),
    ]);
    expect(refused.stderr).toMatch(/^BAD_ARGUMENT: --quantize-embeddings needs --dtype q8 or q4/m);
  });

  it('export-gguf --dtype q4_0 refuses rows that do not divide into blocks, and --fallback f16 writes the file', async () => {
    const file = join(dir, 'tiny-q4.gguf');
    const refused = await svdecode(['export-gguf', '--model', 'tiny', '--dtype', 'q4_0', '--out', file]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^QUANT_SHAPE: .*ffn_down.* 688 values/m);
    expect(refused.stderr).toMatch(/--fallback f16/);
    const ok = await svdecode([
      'export-gguf',
      '--model',
      'tiny',
      '--dtype',
      'q4_0',
      '--fallback',
      'f16',
      '--out',
      file,
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ kind: 'model (Q4_0)' });
  });
});

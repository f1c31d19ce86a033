import { copyFileSync, readdirSync } from 'node:fs';
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

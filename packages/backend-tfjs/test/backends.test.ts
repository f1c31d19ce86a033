import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HF_DIR } from '@svdecode/testkit';
import { describe, expect, it, vi } from 'vitest';

async function importable(specifier: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}

describe('tfjs backend selection', () => {
  it('starts the best available backend and says in one line why better ones were skipped', async () => {
    vi.resetModules();
    const { initTfjs } = await import('../src/tfjs-backends.js');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const [a, b] = await Promise.all([initTfjs({ log: true }), initTfjs({ log: true })]);
    spy.mockRestore();
    expect(a).toBe(b); // concurrent callers share one start
    const gpu = await importable('@tensorflow/tfjs-node-gpu');
    const node = await importable('@tensorflow/tfjs-node');
    if (!gpu && !node) {
      expect(a.name).toBe('wasm');
      expect(a.skipped).toEqual({ 'tfjs-node-gpu': 'not installed', 'tfjs-node': 'not installed' });
    } else {
      expect(['tfjs-node-gpu', 'tfjs-node']).toContain(a.name);
    }
    expect(lines.filter((l) => l.includes('tfjs backend'))).toHaveLength(1);
    expect(lines[0]).toContain(`svdecode: tfjs backend ${a.name}`);
  });

  it('starts a named backend, and refuses an unknown one with UNKNOWN_BACKEND', async () => {
    vi.resetModules();
    const { initTfjs } = await import('../src/tfjs-backends.js');
    const cpu = await initTfjs({ backend: 'cpu', log: false });
    expect(cpu).toMatchObject({ name: 'cpu', engine: 'cpu' });
    await expect(initTfjs({ backend: 'tpu' as never, log: false })).rejects.toMatchObject({
      code: 'UNKNOWN_BACKEND',
    });
    const wasm = await initTfjs({ backend: 'wasm', log: false });
    expect(wasm.name).toBe('wasm');
  });

  it('registers itself in the core model-backend registry', async () => {
    vi.resetModules();
    process.env.SVDECODE_QUIET = '1';
    const { modelBackends } = await import('@svdecode/core');
    await import('../src/register.js');
    expect(modelBackends.names()).toContain('tfjs');
    const backend = await modelBackends.get('tfjs');
    expect(backend.describe()).toMatch(/^tfjs 4\.22\.0 on (wasm|cpu|tfjs-node)/);
    // auto selection asks it what it can load: a safetensors model directory, nothing else
    expect(await backend.canLoad!(join(HF_DIR, 'llama-gqa'))).toBe(true);
    expect(await backend.canLoad!(join(HF_DIR, 'adapters', 'lora'))).toBe(false);
    expect(await backend.canLoad!(tmpdir())).toBe(false);
  });
});

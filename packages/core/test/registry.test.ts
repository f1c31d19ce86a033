import { describe, expect, it } from 'vitest';
import { SvdecodeError } from '../src/errors.js';
import { BackendRegistry, chooseModelBackend, type ModelBackend } from '../src/registry.js';

describe('BackendRegistry', () => {
  it('returns the highest-priority backend that starts', async () => {
    const r = new BackendRegistry<string>();
    r.register('low', () => 'low', 1);
    r.register('high', () => 'high', 10);
    r.register('mid', () => 'mid', 5);
    expect(r.names()).toEqual(['high', 'mid', 'low']);
    expect(await r.get()).toBe('high');
  });

  it('breaks priority ties by registration order', async () => {
    const r = new BackendRegistry<string>();
    r.register('first', () => 'first', 3);
    r.register('second', () => 'second', 3);
    expect(await r.get()).toBe('first');
  });

  it('falls back past backends that fail to start, and remembers the failure', async () => {
    const r = new BackendRegistry<string>();
    let attempts = 0;
    r.register(
      'native',
      () => {
        attempts++;
        throw new Error('libtensorflow.so not found');
      },
      10,
    );
    r.register('wasm', async () => 'wasm', 5);
    expect(await r.get()).toBe('wasm');
    expect(await r.get()).toBe('wasm');
    expect(attempts).toBe(1);
    const status = r.status();
    expect(status[0]).toMatchObject({ name: 'native', state: 'failed', error: 'libtensorflow.so not found' });
    expect(status[1]).toMatchObject({ name: 'wasm', state: 'ready' });
    r.reset('native');
    await r.get();
    expect(attempts).toBe(2);
  });

  it('shares one initialisation between concurrent callers', async () => {
    const r = new BackendRegistry<{ id: number }>();
    let starts = 0;
    r.register('slow', async () => {
      starts++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { id: starts };
    });
    const results = await Promise.all([r.get(), r.get('slow'), r.get(), r.get('slow')]);
    expect(starts).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('lists every failure when no backend starts', async () => {
    const r = new BackendRegistry<string>('model backend');
    r.register(
      'a',
      () => {
        throw new Error('no CUDA 11.2');
      },
      2,
    );
    r.register('b', () => Promise.reject(new Error('wasm binary missing')), 1);
    const error = await r.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SvdecodeError);
    expect((error as SvdecodeError).code).toBe('NO_BACKEND');
    expect((error as SvdecodeError).message).toContain('a: no CUDA 11.2');
    expect((error as SvdecodeError).message).toContain('b: wasm binary missing');
    expect((error as SvdecodeError).details).toEqual({
      failures: { a: 'no CUDA 11.2', b: 'wasm binary missing' },
    });
  });

  it('names the registered backends when asked for an unknown one', async () => {
    const r = new BackendRegistry<string>();
    r.register('onnx', () => 'onnx');
    const error = (await r.get('tpu').catch((e: unknown) => e)) as SvdecodeError;
    expect(error.code).toBe('UNKNOWN_BACKEND');
    expect(error.message).toContain('onnx');
  });

  it('reports a named backend that fails with NO_BACKEND and its reason', async () => {
    const r = new BackendRegistry<string>();
    r.register('broken', () => {
      throw new Error('kaput');
    });
    r.register('fine', () => 'fine', -1);
    const error = (await r.get('broken').catch((e: unknown) => e)) as SvdecodeError;
    expect(error.code).toBe('NO_BACKEND');
    expect(error.message).toContain('kaput');
    expect(await r.get()).toBe('fine');
  });

  it('says so when nothing is registered', async () => {
    const error = (await new BackendRegistry<string>().get().catch((e: unknown) => e)) as SvdecodeError;
    expect(error.code).toBe('NO_BACKEND');
    expect(error.message).toContain('no backend is registered');
  });
});

describe('chooseModelBackend', () => {
  const backend = (name: string, accepts: (s: string) => boolean) => ({
    name,
    describe: () => name,
    load: async () => {
      throw new Error('not in this test');
    },
    canLoad: async (source: string) => accepts(source),
  });

  it('auto picks the highest-priority backend that starts and can load the source', async () => {
    const registry = new BackendRegistry<ModelBackend>('model backend');
    registry.register('onnx', () => backend('onnx', (s) => s.endsWith('.onnx-dir')), 20);
    registry.register('tfjs', () => backend('tfjs', (s) => s.endsWith('-hf')), 10);
    registry.register(
      'broken',
      () => {
        throw new Error('no binary');
      },
      30,
    );
    expect((await chooseModelBackend('m.onnx-dir', 'auto', registry)).name).toBe('onnx');
    expect((await chooseModelBackend('m-hf', 'auto', registry)).name).toBe('tfjs');
    expect((await chooseModelBackend('m-hf', 'onnx', registry)).name).toBe('onnx');
    const error = await chooseModelBackend('m.gguf', 'auto', registry).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NO_BACKEND' });
    expect((error as SvdecodeError).details).toMatchObject({
      reasons: {
        broken: expect.stringContaining('no binary'),
        onnx: 'cannot load this source',
        tfjs: 'cannot load this source',
      },
    });
  });

  it('a backend without canLoad claims every source; an unknown name is UNKNOWN_BACKEND', async () => {
    const registry = new BackendRegistry<ModelBackend>('model backend');
    registry.register('any', () => ({ name: 'any', describe: () => 'any', load: async () => ({}) as never }));
    expect((await chooseModelBackend('whatever', 'auto', registry)).name).toBe('any');
    await expect(chooseModelBackend('x', 'nope', registry)).rejects.toMatchObject({
      code: 'UNKNOWN_BACKEND',
    });
  });
});

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, scratch } from './run-cli.js';

describe('svdecode serve', () => {
  it('starts the demo server on the embedded default (127.0.0.1), serves the page, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok' });
    const info = (await (await fetch(`${url}/v1/info`)).json()) as {
      model: string;
      steering: { muBar: number };
    };
    expect(info.model).toBe('tiny (embedded)');
    expect(Number.isFinite(info.steering.muBar)).toBe(true);
    expect(await (await fetch(url)).text()).toContain('PEFT + SVDecode');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('--backend llama-cpp serves the embedded model and its demo LoRA from GGUF exports, steered generations included', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--backend', 'llama-cpp'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SVDECODE_CACHE_DIR: join(scratch(), 'cache') },
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    const response = await fetch(`${url}/v1/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'The capital of France is', max_new_tokens: 6, mu: 0.5 }),
    });
    const body = await response.text();
    expect(body).toMatch(/event: done/);
    expect(body).toContain('"mu":0.5');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});

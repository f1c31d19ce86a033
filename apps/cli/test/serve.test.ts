import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './run-cli.js';

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
});

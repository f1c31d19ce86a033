import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
export const TASKS = fileURLToPath(new URL('../../../packages/tiny/data/tasks/', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../fixtures/hf/', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process (no TTY: plain progress lines). */
export function svdecode(
  args: string[],
  options: {
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
    env?: Record<string, string>;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, SVDECODE_PROGRESS_MS: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(String(d), child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const scratch = (): string => mkdtempSync(join(tmpdir(), 'svdecode-cli-'));

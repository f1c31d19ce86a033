// A throwaway Redis for tests and benchmarks: Debian's redis-server on a free loopback port, in a
// temporary directory, no persistence; stop() kills it and removes the directory. Plain JavaScript
// so that benchmark scripts (.mjs) can use it too. `pnpm test` installs redis-server first
// (tooling/scripts/ensure-test-deps.mjs); a missing binary is an error here, never a skip.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.SVDECODE_REDIS_SERVER ?? '/usr/bin/redis-server';

/** A port nobody listens on right now (the OS picks it). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server; resolves once it accepts connections.
 * @param {{ password?: string }} [options]
 * @returns {Promise<{ url: string, port: number, stop: () => Promise<void> }>}
 */
export async function startRedisServer(options = {}) {
  if (!existsSync(REDIS_SERVER))
    throw new Error(
      `${REDIS_SERVER} is missing: run \`node tooling/scripts/ensure-test-deps.mjs\` (it installs Debian's redis-server), or point SVDECODE_REDIS_SERVER at one`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'svdecode-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  if (options.password) args.push('--requirepass', options.password);
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${output}`)), 10_000).unref();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    port,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

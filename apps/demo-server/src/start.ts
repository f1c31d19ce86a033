import type { FastifyInstance } from 'fastify';
import { buildServer, type DemoSetup, type ServerOptions } from './server.js';

export interface StartOptions extends ServerOptions {
  /** Default 127.0.0.1: reachable from this machine only unless told otherwise. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
}

/**
 * Starts the server and shuts it down gracefully on SIGTERM / SIGINT: no new connections, running
 * generations finish (they are bounded by max_new_tokens), then the process exits.
 */
export async function startServer(
  setup: DemoSetup,
  options: StartOptions = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildServer(setup, options);
  const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8787 });
  const shutdown = (signal: string) => {
    process.stderr.write(`svdecode demo server: ${signal}, shutting down\n`);
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return { app, url };
}

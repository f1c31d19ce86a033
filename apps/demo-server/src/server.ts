import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { generateRoute } from './generate-route.js';
import { installErrorHandling } from './http-errors.js';
import { ConcurrencyGate } from './limiter.js';
import { requestContext } from './request-context.js';
import { DEFAULT_LIMITS, type Limits } from './schemas.js';
import { scoreRoute } from './score-route.js';
import type { DemoSetup } from './setup.js';

export type { DemoSetup } from './setup.js';

export interface ServerOptions {
  limits?: Partial<Limits>;
  /** Fastify's request log (default false). */
  logger?: boolean;
}

const PUBLIC = new URL('../public/', import.meta.url);

/** Builds the HTTP API and the page (not listening yet: call `listen`). */
export function buildServer(setup: DemoSetup, options: ServerOptions = {}): FastifyInstance {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const gate = new ConcurrencyGate(limits.maxActive, limits.maxQueued);
  const page = readFileSync(new URL('index.html', PUBLIC), 'utf8');
  const script = readFileSync(new URL('app.js', PUBLIC), 'utf8');

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyLimit,
    // strict validation: no silent coercion or stripping of unknown fields
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });
  installErrorHandling(app);

  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/app.js', (_request, reply) => reply.type('text/javascript; charset=utf-8').send(script));
  app.get('/health', () => ({ status: 'ok', active: gate.active, queued: gate.queued }));
  app.get('/v1/info', () => ({
    ...setup.description,
    vocabSize: setup.adapted.vocabSize,
    steering: setup.steering,
    defaults: setup.defaults ?? null,
    limits,
  }));
  const ctx = requestContext(setup, limits, gate);
  scoreRoute(app, ctx);
  generateRoute(app, ctx);
  return app;
}

import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

/** An error a route throws to answer with a status, a stable code and the field at fault. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  field?: string,
) {
  return reply.code(status).send({ error: { code, message, ...(field ? { field } : {}) } });
}

/** The field an ajv error is about: "/mu" -> "mu", a missing or extra property by name. */
export function fieldOf(error: FastifyError): string | undefined {
  const v = error.validation?.[0];
  if (!v) return undefined;
  const params = v.params as Record<string, unknown>;
  const named = (params.missingProperty ?? params.additionalProperty) as string | undefined;
  const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
  return [path, named].filter(Boolean).join('.') || undefined;
}

/**
 * JSON bodies must be valid UTF-8 (the default parser would turn bad bytes into U+FFFD); every
 * error, validation failure and unknown route answers `{ error: { code, message, field? } }`.
 */
export function installErrorHandling(app: FastifyInstance): void {
  // JSON bodies must be valid UTF-8 (the default parser would turn bad bytes into U+FFFD)
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new HttpError(400, 'BAD_REQUEST', 'body: not valid UTF-8', 'body'), undefined);
      return;
    }
    try {
      done(null, text === '' ? undefined : JSON.parse(text));
    } catch (error) {
      done(
        new HttpError(400, 'BAD_REQUEST', `body: not valid JSON (${(error as Error).message})`, 'body'),
        undefined,
      );
    }
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof HttpError)
      return sendError(reply, error.status, error.code, error.message, error.field);
    if (error.validation) {
      const field = fieldOf(error);
      return sendError(
        reply,
        400,
        'BAD_REQUEST',
        `${field ?? 'body'}: ${error.validation[0]?.message ?? 'invalid'}`,
        field,
      );
    }
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return sendError(
      reply,
      status,
      status === 500 ? 'INTERNAL' : (error.code ?? 'BAD_REQUEST'),
      status === 500 ? 'internal error' : error.message,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url}`),
  );
}

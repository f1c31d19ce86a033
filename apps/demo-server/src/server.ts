import { readFileSync } from 'node:fs';
import type { PairedCausalLM, Tokenizer } from '@svdecode/core';
import { normalise, scoreChoices } from '@svdecode/eval';
import { generate, type TokenProb } from '@svdecode/sampler';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { ConcurrencyGate } from './limiter.js';
import {
  DEFAULT_LIMITS,
  type GenerateBody,
  generateSchema,
  type Limits,
  type ScoreBody,
  scoreSchema,
} from './schemas.js';

/** What the server decodes with; chosen at start, never by a request. */
export interface DemoSetup {
  /** The adapted model: plain sessions are PEFT alone, paired sessions add SVDecode. */
  adapted: PairedCausalLM;
  tokenizer: Tokenizer;
  /** The calibrated strength and its per-token distribution (null: requests must give mu). */
  steering: {
    muBar: number;
    alpha: number;
    aggregate: string;
    count: number;
    histogram: { edges: number[]; counts: number[] };
    /** How muBar was decided (the strength guard: aggregate, fitted value, shrink, reason); null in older files. */
    decision?: {
      aggregate: string;
      mu: number;
      raw: number;
      shrink: number;
      guarded: boolean;
      reason: string;
    } | null;
  } | null;
  /** Shown by GET /v1/info: model, adapter, steering file, backend. */
  description: Record<string, unknown>;
}

export interface ServerOptions {
  limits?: Partial<Limits>;
  /** Fastify's request log (default false). */
  logger?: boolean;
}

const PUBLIC = new URL('../public/', import.meta.url);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: { code, message, ...(field ? { field } : {}) } });
}

/** The field an ajv error is about: "/mu" -> "mu", a missing or extra property by name. */
function fieldOf(error: FastifyError): string | undefined {
  const v = error.validation?.[0];
  if (!v) return undefined;
  const params = v.params as Record<string, unknown>;
  const named = (params.missingProperty ?? params.additionalProperty) as string | undefined;
  const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
  return [path, named].filter(Boolean).join('.') || undefined;
}

/** Builds the HTTP API and the page (not listening yet: call `listen`). */
export function buildServer(setup: DemoSetup, options: ServerOptions = {}): FastifyInstance {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const gate = new ConcurrencyGate(limits.maxActive, limits.maxQueued);
  const { adapted, tokenizer } = setup;
  const page = readFileSync(new URL('index.html', PUBLIC), 'utf8');
  const script = readFileSync(new URL('app.js', PUBLIC), 'utf8');

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyLimit,
    // strict validation: no silent coercion or stripping of unknown fields
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

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

  const encodePrompt = (prompt: string): number[] => {
    const ids = tokenizer.encode(prompt, { addSpecialTokens: false });
    if (ids.length > limits.maxPromptTokens)
      throw new HttpError(
        400,
        'BAD_REQUEST',
        `prompt: ${ids.length} tokens, at most ${limits.maxPromptTokens}`,
        'prompt',
      );
    return tokenizer.bosTokenId === undefined ? ids : [tokenizer.bosTokenId, ...ids];
  };
  const steerOf = (body: { steer?: boolean; mu?: number; alpha?: number }) => {
    if (body.steer === false) return undefined;
    const mu = body.mu ?? setup.steering?.muBar;
    if (mu === undefined)
      throw new HttpError(
        400,
        'BAD_REQUEST',
        'mu: no steering file was loaded, so the request must give mu',
        'mu',
      );
    return { mu, alpha: body.alpha ?? setup.steering?.alpha ?? 0.1 };
  };
  const admit = () => {
    if (!gate.canAdmit())
      throw new HttpError(
        429,
        'BUSY',
        `${gate.active} generations running and ${gate.queued} waiting; retry shortly`,
      );
  };

  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/app.js', (_request, reply) => reply.type('text/javascript; charset=utf-8').send(script));
  app.get('/health', () => ({ status: 'ok', active: gate.active, queued: gate.queued }));
  app.get('/v1/info', () => ({
    ...setup.description,
    vocabSize: adapted.vocabSize,
    steering: setup.steering,
    limits,
  }));

  app.post('/v1/score', { schema: { body: scoreSchema(limits) } }, async (request) => {
    const body = request.body as ScoreBody;
    const steer = steerOf(body);
    const prompt = encodePrompt(body.prompt);
    const choices = body.choices.map((c) => tokenizer.encode(c, { addSpecialTokens: false }));
    if (choices.some((c) => c.length === 0))
      throw new HttpError(400, 'BAD_REQUEST', 'choices: a choice encodes to no tokens', 'choices');
    admit();
    const release = await gate.acquire();
    try {
      const pick = (s: { sum: number[]; mean: number[] }) => (body.length_normalised ? s.mean : s.sum);
      const plain = pick(await scoreChoices(adapted, prompt, choices));
      const steered = steer ? pick(await scoreChoices(adapted, prompt, choices, steer)) : undefined;
      return {
        choices: body.choices,
        plain: { logLikelihoods: plain, probabilities: normalise(plain) },
        steered: steered
          ? {
              logLikelihoods: steered.map((x) => (Number.isFinite(x) ? x : null)),
              probabilities: normalise(steered),
            }
          : null,
        mu: steer?.mu ?? null,
        alpha: steer?.alpha ?? null,
      };
    } finally {
      release();
    }
  });

  app.post('/v1/generate', { schema: { body: generateSchema(limits) } }, async (request, reply) => {
    const body = request.body as GenerateBody;
    const steer = steerOf(body);
    const prompt = encodePrompt(body.prompt);
    admit();
    // a client that goes away stops its generation (and frees its sessions), queued or running
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    let release: () => void;
    try {
      release = await gate.acquire(controller.signal);
    } catch {
      return reply; // gone while queued
    }
    reply.hijack();
    const out = reply.raw;
    const send = (event: string, data: unknown) => {
      if (!out.destroyed) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    try {
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      const topTokens = body.top_tokens ?? 5;
      const named = (list: TokenProb[] | undefined) =>
        list?.map((t) => ({ token: t.token, text: tokenizer.decode([t.token]), prob: t.prob }));
      const stream = generate(steer ? adapted.createPairedSession() : adapted.createSession(), prompt, {
        strategy: body.strategy ?? 'greedy',
        temperature: body.temperature,
        topK: body.top_k,
        topP: body.top_p,
        seed: body.seed,
        maxNewTokens: body.max_new_tokens ?? 32,
        topTokens,
        eosTokenIds: tokenizer.eosTokenIds,
        tokenizer,
        steer: steer ?? false,
        signal: controller.signal,
      });
      send('start', {
        promptTokens: prompt.length,
        steer: steer !== undefined,
        mu: steer?.mu ?? null,
        alpha: steer?.alpha ?? null,
      });
      for await (const event of stream) {
        // in-process backends (tfjs-wasm) resolve without yielding to the event loop: yield per
        // token so other requests, disconnects and signals are served while this one decodes
        await new Promise<void>((resolve) => setImmediate(resolve));
        send('token', {
          step: event.step,
          token: event.token,
          text: event.text ?? '',
          logprob: event.logprob,
          kl: event.kl ?? null,
          top: topTokens > 0 ? { before: named(event.top?.before), after: named(event.top?.after) } : null,
        });
      }
      const result = await stream.result;
      send('done', {
        text: result.text ?? '',
        tokens: result.tokens.length,
        finishReason: result.finishReason,
        mu: result.mu,
      });
    } catch (error) {
      send('error', {
        code: (error as { code?: string }).code ?? 'INTERNAL',
        message: (error as Error).message,
      });
    } finally {
      release();
      if (!out.destroyed) out.end();
    }
    return reply;
  });

  return app;
}

import { type DecodeSession, type PairedSession, steeringSession } from '@svdecode/core';
import { generate, type TokenProb } from '@svdecode/sampler';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.js';
import type { RequestContext } from './request-context.js';
import { type GenerateBody, generateSchema } from './schemas.js';

/**
 * The base model's side of a paired session as a plain session: the page's "base model" pane works
 * on any backend's PairedCausalLM (both models run; the adapted logits are dropped).
 */
function baseSide(paired: PairedSession): DecodeSession {
  return {
    get vocabSize() {
      return paired.vocabSize;
    },
    get length() {
      return paired.length;
    },
    get disposed() {
      return paired.disposed;
    },
    append: async (tokens) => (await paired.append(tokens)).base,
    fork: () => baseSide(paired.fork()),
    dispose: () => paired.dispose(),
  };
}

/** POST /v1/generate: a server-sent event stream of tokens from the base model, PEFT, or PEFT + SVDecode. */
export function generateRoute(app: FastifyInstance, ctx: RequestContext): void {
  const { setup, limits, gate, encodePrompt, steerOf, admit } = ctx;
  const { adapted, tokenizer } = setup;
  app.post('/v1/generate', { schema: { body: generateSchema(limits) } }, async (request, reply) => {
    const body = request.body as GenerateBody;
    const base = body.model === 'base';
    if (base && (body.mu !== undefined || body.steer === true))
      throw new HttpError(
        400,
        'BAD_REQUEST',
        'model: the base model is never steered; leave out mu and steer',
        'model',
      );
    const steer = base ? undefined : steerOf(body);
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
      const stream = generate(
        base
          ? baseSide(adapted.createPairedSession())
          : steer
            ? steeringSession(adapted, { lazyBase: body.lazy_base })
            : adapted.createSession(),
        prompt,
        {
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
        },
      );
      send('start', {
        promptTokens: prompt.length,
        model: base ? 'base' : 'adapted',
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
          // null on a step that did without the base model (lazy base decoding)
          kl: event.kl ?? null,
          baseRan: event.baseRan ?? null,
          top: topTokens > 0 ? { before: named(event.top?.before), after: named(event.top?.after) } : null,
        });
      }
      const result = await stream.result;
      send('done', {
        text: result.text ?? '',
        tokens: result.tokens.length,
        finishReason: result.finishReason,
        mu: result.mu,
        baseSkipped: result.baseSkipped,
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
}

import { request as httpRequest } from 'node:http';
import { generateAll } from '@svdecode/sampler';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { demoSetup, parseEvents } from './setup.js';

let setup: Awaited<ReturnType<typeof demoSetup>>;
let app: FastifyInstance;

beforeAll(async () => {
  setup = await demoSetup();
  app = buildServer(setup);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  setup.dispose();
});

const post = (url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, payload: payload as object });

describe('routes', () => {
  it('GET /health', async () => {
    const r = await app.inject('/health');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', active: 0, queued: 0 });
  });

  it('GET /v1/info names the setup, the steering distribution and the limits', async () => {
    const info = (await app.inject('/v1/info')).json();
    expect(info).toMatchObject({ model: 'tiny', adapter: 'demo lora', backend: 'tfjs', vocabSize: 2048 });
    expect(info.steering.muBar).toBe(setup.steering!.muBar);
    expect(info.steering.histogram.counts).toHaveLength(20);
    expect(info.limits.maxNewTokens).toBe(128);
  });

  it('GET / serves the page and /app.js its script', async () => {
    const page = await app.inject('/');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('PEFT + SVDecode');
    expect((await app.inject('/app.js')).body).toContain('/v1/generate');
  });

  it('POST /v1/generate streams start, token events with top tokens before/after steering, done', async () => {
    const r = await post('/v1/generate', {
      prompt: 'The capital of Georgia is',
      max_new_tokens: 5,
      top_tokens: 3,
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/event-stream/);
    const events = parseEvents(r.body);
    expect(events[0]).toMatchObject({ event: 'start', data: { steer: true, mu: setup.steering!.muBar } });
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) {
      const top = t.data.top as { before: Array<{ prob: number }>; after: Array<{ prob: number }> };
      expect(top.before).toHaveLength(3);
      expect(top.after.length).toBeGreaterThan(0);
      expect(top.before[0]!.prob).toBeGreaterThanOrEqual(top.before[1]!.prob);
      // the base model ran (and a KL was measured) unless lazy base decoding skipped the step
      expect(typeof t.data.baseRan).toBe('boolean');
      expect(typeof t.data.kl).toBe(t.data.baseRan ? 'number' : 'object');
    }
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.text).toBe(tokens.map((t) => t.data.text).join(''));
    expect(done.data.baseSkipped).toBeCloseTo(
      tokens.filter((t) => !t.data.baseRan).length / tokens.length,
      10,
    );
    expect(setup.liveSessions()).toBe(0);
  });

  it('lazy_base: false runs the base model every step: a KL on every token, nothing skipped', async () => {
    const r = await post('/v1/generate', {
      prompt: 'The capital of Georgia is',
      max_new_tokens: 6,
      lazy_base: false,
    });
    const events = parseEvents(r.body);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) {
      expect(t.data.baseRan).toBe(true);
      expect(typeof t.data.kl).toBe('number');
    }
    expect(events.at(-1)!.data.baseSkipped).toBe(0);
    const bad = await post('/v1/generate', { prompt: 'x', lazy_base: 'sometimes' });
    expect(bad.statusCode).toBe(400);
  });

  it("model: 'base' decodes the model before the adapter, the base model's own greedy tokens; never steered", async () => {
    const prompt = setup.defaults!.prompt;
    const events = parseEvents(
      (await post('/v1/generate', { prompt, model: 'base', max_new_tokens: 6 })).body,
    );
    expect(events[0]!.data).toMatchObject({ model: 'base', steer: false, mu: null });
    const ids = setup.tokenizer.encode(prompt);
    const want = await generateAll(setup.base.createSession(), ids, {
      maxNewTokens: 6,
      tokenizer: setup.tokenizer,
      eosTokenIds: setup.tokenizer.eosTokenIds,
    });
    expect(events.at(-1)!.data.text).toBe(want.text);
    const adapted = parseEvents(
      (await post('/v1/generate', { prompt, steer: false, max_new_tokens: 6 })).body,
    );
    expect(adapted[0]!.data).toMatchObject({ model: 'adapted' });
    expect(setup.liveSessions()).toBe(0);
    const bad = await post('/v1/generate', { prompt, model: 'base', mu: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('model');
    expect((await post('/v1/generate', { prompt, model: 'other' })).statusCode).toBe(400);
  });

  it('GET /v1/info gives the page its opening prompt', async () => {
    const info = (await app.inject('/v1/info')).json();
    expect(info.defaults).toEqual(setup.defaults);
  });

  it('steer: false decodes PEFT alone (before == after); mu: 0 steers with the identity', async () => {
    const plain = parseEvents(
      (await post('/v1/generate', { prompt: 'Tbilisi is', steer: false, max_new_tokens: 4 })).body,
    );
    expect(plain[0]!.data).toMatchObject({ steer: false, mu: null });
    const first = plain[1]!.data.top as { before: unknown; after: unknown };
    expect(first.after).toEqual(first.before);
    const zero = parseEvents(
      (await post('/v1/generate', { prompt: 'Tbilisi is', mu: 0, max_new_tokens: 4 })).body,
    );
    expect(zero.at(-1)!.data.text).toBe(plain.at(-1)!.data.text);
  });

  it('POST /v1/score gives plain and steered choice log-likelihoods', async () => {
    const r = await post('/v1/score', {
      prompt: 'The capital of Georgia is',
      choices: [' Tbilisi', ' Paris', ' Lima'],
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.plain.logLikelihoods).toHaveLength(3);
    expect(body.plain.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    expect(body.steered.logLikelihoods).toHaveLength(3);
    expect(body.mu).toBe(setup.steering!.muBar);
    const off = (await post('/v1/score', { prompt: 'x', choices: ['a', 'b'], steer: false })).json();
    expect(off.steered).toBeNull();
    // mu = 0 is no steering: the steered column is the plain one (no confidence mask), Paris included
    const zero = (
      await post('/v1/score', {
        prompt: 'The capital of Georgia is',
        choices: [' Tbilisi', ' Paris'],
        mu: 0,
        alpha: 0.9,
      })
    ).json();
    expect(zero.mu).toBe(0);
    expect(zero.steered.logLikelihoods).toEqual(zero.plain.logLikelihoods);
    expect(zero.steered.logLikelihoods.every((x: number | null) => x !== null)).toBe(true);
  });

  it('unknown routes are JSON 404s', async () => {
    const r = await app.inject('/v1/nope');
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('NOT_FOUND');
  });
});

describe('validation: 400s that name the field', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['generate', 'missing prompt', {}, 'prompt'],
    ['generate', 'empty prompt', { prompt: '' }, 'prompt'],
    ['generate', 'prompt not a string', { prompt: 42 }, 'prompt'],
    ['generate', 'prompt too long', { prompt: 'x'.repeat(2001) }, 'prompt'],
    ['generate', 'prompt over the token limit', { prompt: 'Tbilisi Paris Lima '.repeat(40) }, 'prompt'],
    ['generate', 'unknown field', { prompt: 'x', path: '/etc/passwd' }, 'path'],
    ['generate', 'mu not a number', { prompt: 'x', mu: '1' }, 'mu'],
    ['generate', 'mu huge', { prompt: 'x', mu: 1e300 }, 'mu'],
    ['generate', 'alpha 0', { prompt: 'x', alpha: 0 }, 'alpha'],
    ['generate', 'alpha > 1', { prompt: 'x', alpha: 1.5 }, 'alpha'],
    ['generate', 'steer not a boolean', { prompt: 'x', steer: 'yes' }, 'steer'],
    ['generate', 'unknown strategy', { prompt: 'x', strategy: 'beam' }, 'strategy'],
    ['generate', 'max_new_tokens over the limit', { prompt: 'x', max_new_tokens: 129 }, 'max_new_tokens'],
    ['generate', 'max_new_tokens fractional', { prompt: 'x', max_new_tokens: 2.5 }, 'max_new_tokens'],
    ['generate', 'temperature 0', { prompt: 'x', temperature: 0 }, 'temperature'],
    ['generate', 'top_p > 1', { prompt: 'x', top_p: 2 }, 'top_p'],
    ['generate', 'top_k 0', { prompt: 'x', top_k: 0 }, 'top_k'],
    ['generate', 'seed negative', { prompt: 'x', seed: -1 }, 'seed'],
    ['generate', 'top_tokens > 20', { prompt: 'x', top_tokens: 21 }, 'top_tokens'],
    ['score', 'missing choices', { prompt: 'x' }, 'choices'],
    ['score', 'one choice', { prompt: 'x', choices: ['a'] }, 'choices'],
    ['score', 'choice not a string', { prompt: 'x', choices: ['a', 3] }, 'choices.1'],
    ['score', 'empty choice', { prompt: 'x', choices: ['a', ''] }, 'choices.1'],
    [
      'score',
      'length_normalised not a boolean',
      { prompt: 'x', choices: ['a', 'b'], length_normalised: 1 },
      'length_normalised',
    ],
  ];
  it.each(cases)('%s: %s', async (route, _name, body, field) => {
    const r = await post(`/v1/${route}`, body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'BAD_REQUEST', field });
    expect(r.json().error.message).toContain(field);
  });

  it('a body that is not JSON, an empty body, a wrong content type, an oversized body', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'application/json' },
      payload: '{"prompt": ',
    });
    expect(bad.statusCode).toBe(400);
    const empty = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    const text = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect([400, 415]).toContain(text.statusCode); // text/plain parses to a string, which is not an object
    const big = await post('/v1/generate', { prompt: 'x'.repeat(20_000) });
    expect(big.statusCode).toBe(413);
    for (const r of [bad, empty, text, big]) expect(r.json().error.code).toBeTruthy();
  });
});

describe('limits on a listening server', () => {
  let server: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    server = buildServer(setup, { limits: { maxActive: 1, maxQueued: 0 } });
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = (server.server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  /** Starts a generation and resolves once its first token event arrived; returns the request. */
  const startGeneration = () =>
    new Promise<ReturnType<typeof httpRequest>>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/generate',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.on('data', (chunk) => {
            if (String(chunk).includes('event: token')) resolve(req);
          });
          res.on('error', () => {});
        },
      );
      req.on('error', reject);
      // near-uniform sampling without steering's confident-set mask: end of sequence is unlikely,
      // so it runs all 128 steps
      req.end(
        JSON.stringify({
          prompt: 'The capital of Georgia is',
          max_new_tokens: 128,
          strategy: 'sample',
          temperature: 100,
          steer: false,
        }),
      );
    });

  /** Waits until no generation runs (a disconnected client's generation stops within a step). */
  const untilIdle = async () => {
    for (let i = 0; i < 200; i++) {
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { active: number };
      if (health.active === 0 && setup.liveSessions() === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('generations still running');
  };

  it('binds 127.0.0.1', () => {
    expect((server.server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('answers 429 when the running slots and the queue are full', async () => {
    const running = await startGeneration();
    const busy = await fetch(`http://127.0.0.1:${port}/v1/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', max_new_tokens: 2 }),
    });
    expect(busy.status).toBe(429);
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('BUSY');
    running.destroy();
    await untilIdle();
  });

  it('a client that disconnects stops its generation and frees its sessions', async () => {
    const req = await startGeneration();
    expect(setup.liveSessions()).toBe(1);
    req.destroy();
    await untilIdle();
    expect(setup.liveSessions()).toBe(0);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    expect(health).toEqual({ status: 'ok', active: 0, queued: 0 });
  });
});

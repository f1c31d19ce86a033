import { pairSessions } from '@svdecode/core';
import { createToyModel, FunctionModel } from '@svdecode/core/test';
import { steeringVector } from '@svdecode/kl-gradient';
import { describe, expect, it } from 'vitest';
import { generate, generateAll, greedy, type SamplerStage, type StepEvent } from '../src/index.js';
import { charTokenizer, tableModel, toyPair, V } from './helpers.js';

const PROMPT = [3, 1, 4];

describe('generate: greedy and sampling', () => {
  it('greedy emits the argmax of each step', async () => {
    const { adapted } = toyPair();
    const result = await generateAll(adapted.createSession(), PROMPT, { maxNewTokens: 12 });
    const ctx = [...PROMPT];
    for (const token of result.tokens) {
      expect(token).toBe(greedy().select(adapted.logitsFor(ctx)));
      ctx.push(token);
    }
    expect(result).toMatchObject({ finishReason: 'length', mu: null, strategy: 'greedy' });
    expect(result.tokens).toHaveLength(12);
    expect(adapted.liveSessions).toBe(0);
  });

  it('with mu = 0, steered decoding emits exactly the tokens of plain decoding (greedy, sample, beam)', async () => {
    const m = toyPair(2);
    for (const strategy of ['greedy', 'sample', 'beam'] as const) {
      const opts = { maxNewTokens: 10, strategy, seed: 5, topK: 20, temperature: 0.9, numBeams: 3 };
      const plain = await generateAll(m.adapted.createSession(), PROMPT, opts);
      const steered = await generateAll(m.paired(), PROMPT, { ...opts, steer: { mu: 0 } });
      expect(steered.tokens).toEqual(plain.tokens);
      expect(steered.mu).toBe(0);
    }
    expect(m.live()).toBe(0);
  });

  it('steering changes the output, and with lambda = -Infinity a masked token is never emitted', async () => {
    const m = toyPair(3);
    let changed = false;
    for (const mu of [-50, -5, -1]) {
      for (const strategy of ['greedy', 'sample'] as const) {
        const stream = generate(m.paired(), PROMPT, {
          maxNewTokens: 15,
          strategy,
          seed: 11,
          steer: { mu, alpha: 0.3 },
        });
        const ctx = [...PROMPT];
        for await (const e of stream) {
          const s = steeringVector(m.adapted.logitsFor(ctx), m.base.logitsFor(ctx), { alpha: 0.3 });
          expect(s.mask[e.token], `mu ${mu} step ${e.step} emitted a masked token`).toBe(1);
          ctx.push(e.token);
        }
        const plain = await generateAll(m.adapted.createSession(), PROMPT, {
          maxNewTokens: 15,
          strategy,
          seed: 11,
        });
        if (plain.tokens.join() !== ctx.slice(PROMPT.length).join()) changed = true;
      }
    }
    expect(changed).toBe(true);
  });

  it('seeded sampling reproduces across runs, and other seeds differ', async () => {
    const m = toyPair(4);
    const run = (seed: number) =>
      generateAll(m.adapted.createSession(), PROMPT, {
        strategy: 'sample',
        seed,
        maxNewTokens: 30,
        temperature: 1.3,
        topP: 0.95,
      });
    const a = await run(123);
    const b = await run(123);
    const c = await run(124);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.logprob).toBe(b.logprob);
    expect(c.tokens).not.toEqual(a.tokens);
  });

  it('stops at EOS, at a stop string, and reports text', async () => {
    // always predicts token 5 ('e'), then EOS (0) after three tokens
    const model = tableModel(
      V,
      { '1': { 5: 0.9, 6: 0.1 }, '1,5': { 5: 0.8, 2: 0.2 }, '1,5,5': { 0: 0.7, 3: 0.3 } },
      { 7: 1 },
    );
    const eos = await generateAll(model.createSession(), [1], {
      eosTokenIds: [0],
      tokenizer: charTokenizer,
      maxNewTokens: 10,
    });
    expect(eos).toMatchObject({ tokens: [5, 5, 0], finishReason: 'eos', text: 'ee' });
    const stop = await generateAll(model.createSession(), [1], {
      stopStrings: ['ee'],
      tokenizer: charTokenizer,
      maxNewTokens: 10,
    });
    expect(stop).toMatchObject({ tokens: [5, 5], finishReason: 'stop', text: '' });
    expect(model.liveSessions).toBe(0);
  });

  it('step events carry the log-probability, text pieces and top tokens before and after steering', async () => {
    const m = toyPair(5);
    const events: StepEvent[] = [];
    const stream = generate(m.paired(), PROMPT, {
      maxNewTokens: 4,
      steer: { mu: -3 },
      topTokens: 3,
      tokenizer: charTokenizer,
    });
    for await (const e of stream) events.push(e);
    const result = await stream.result;
    expect(events.map((e) => e.token)).toEqual(result.tokens);
    expect(events.map((e) => e.text).join('')).toBe(result.text);
    expect(result.logprob).toBeCloseTo(
      events.reduce((a, e) => a + e.logprob, 0),
      10,
    );
    for (const e of events) {
      expect(e.top!.before).toHaveLength(3);
      expect(e.top!.after[0]!.token).toBe(e.token); // greedy: the top token after steering is the one chosen
      expect(e.top!.before[0]!.prob).toBeGreaterThanOrEqual(e.top!.before[1]!.prob);
      expect(Number.isFinite(e.kl)).toBe(true);
    }
  });
});

describe('generate: beam search', () => {
  it('numBeams = 1 equals greedy', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const m = toyPair(seed);
      const g = await generateAll(m.adapted.createSession(), PROMPT, { maxNewTokens: 12, eosTokenIds: [7] });
      const b = await generateAll(m.adapted.createSession(), PROMPT, {
        maxNewTokens: 12,
        eosTokenIds: [7],
        strategy: 'beam',
        numBeams: 1,
      });
      expect(b.tokens).toEqual(g.tokens);
      expect(b.logprob).toBeCloseTo(g.logprob, 10);
    }
  });

  it('finds the higher-scoring sequence where greedy is myopic', async () => {
    // after [1]: token 2 (0.6) or 3 (0.4); after 2 the next token is spread thin, after 3 it is certain
    const model = tableModel(
      10,
      {
        '1': { 2: 0.6, 3: 0.4 },
        '1,2': { 4: 0.2, 5: 0.2, 6: 0.2, 7: 0.2, 8: 0.2 },
        '1,3': { 9: 0.99, 4: 0.01 },
      },
      { 0: 1 },
    );
    const g = await generateAll(model.createSession(), [1], { maxNewTokens: 2 });
    const b = await generateAll(model.createSession(), [1], {
      maxNewTokens: 2,
      strategy: 'beam',
      numBeams: 2,
    });
    expect(g.tokens).toEqual([2, 4]);
    expect(b.tokens).toEqual([3, 9]);
    expect(b.logprob).toBeGreaterThan(g.logprob);
    expect(b.logprob).toBeCloseTo(Math.log(0.4 * 0.99), 4);
    expect(model.liveSessions).toBe(0);
  });

  it('steers inside every beam and disposes every fork', async () => {
    const m = toyPair(6);
    const plain = await generateAll(m.paired(), PROMPT, { strategy: 'beam', numBeams: 4, maxNewTokens: 8 });
    const steered = await generateAll(m.paired(), PROMPT, {
      strategy: 'beam',
      numBeams: 4,
      maxNewTokens: 8,
      steer: { mu: -20, alpha: 0.3 },
    });
    expect(steered.tokens).not.toEqual(plain.tokens);
    // every token of the winning beam was in its step's mask
    const ctx = [...PROMPT];
    for (const t of steered.tokens) {
      expect(steeringVector(m.adapted.logitsFor(ctx), m.base.logitsFor(ctx), { alpha: 0.3 }).mask[t]).toBe(1);
      ctx.push(t);
    }
    expect(m.live()).toBe(0);
  });
});

/** A stage with state: bans every token this sequence has already chosen (told through accept). */
class NoRepeatStage implements SamplerStage {
  readonly name = 'no-repeat';
  readonly chosen = new Set<number>();
  clones = 0;
  apply(logits: Float32Array): void {
    for (const t of this.chosen) logits[t] = Number.NEGATIVE_INFINITY;
  }
  accept(token: number): void {
    this.chosen.add(token);
  }
  clone(): NoRepeatStage {
    const copy = new NoRepeatStage();
    for (const t of this.chosen) copy.chosen.add(t);
    this.clones++;
    return copy;
  }
}

describe('beam search with a stateful stage', () => {
  // a model that keeps repeating token 3 unless told otherwise
  const looping = () =>
    new FunctionModel({
      vocabSize: V,
      logits: (ctx) => {
        const out = new Float32Array(V).map((_, i) => -i * 0.1);
        out[3] = 5;
        out[(ctx.length % 7) + 10] = 4;
        return out;
      },
    });

  it('each beam has its own chain, told its own tokens: one beam equals greedy with the same stage', async () => {
    const model = looping();
    const plain = await generateAll(model.createSession(), PROMPT, { strategy: 'greedy', maxNewTokens: 6 });
    expect(plain.tokens.filter((t) => t === 3).length).toBeGreaterThan(1); // the loop the stage must stop
    const greedy = await generateAll(model.createSession(), PROMPT, {
      strategy: 'greedy',
      maxNewTokens: 6,
      stages: [new NoRepeatStage()],
    });
    const beam1 = await generateAll(model.createSession(), PROMPT, {
      strategy: 'beam',
      numBeams: 1,
      maxNewTokens: 6,
      stages: [new NoRepeatStage()],
    });
    expect(beam1.tokens).toEqual(greedy.tokens);
    const stage = new NoRepeatStage();
    const beam4 = await generateAll(model.createSession(), PROMPT, {
      strategy: 'beam',
      numBeams: 4,
      maxNewTokens: 6,
      stages: [stage],
    });
    expect(new Set(beam4.tokens).size).toBe(beam4.tokens.length);
    expect(stage.clones).toBeGreaterThan(0);
    expect(model.liveSessions).toBe(0);
  });

  it('beam step events carry top tokens and the KL, as greedy ones do', async () => {
    const m = toyPair(9);
    const events: StepEvent[] = [];
    const stream = generate(m.paired(), PROMPT, {
      strategy: 'beam',
      numBeams: 3,
      maxNewTokens: 5,
      topTokens: 3,
      steer: { mu: -2, alpha: 0.2 },
    });
    for await (const e of stream) events.push(e);
    const result = await stream.result;
    expect(events.map((e) => e.token)).toEqual(result.tokens);
    const ctx = [...PROMPT];
    for (const e of events) {
      expect(e.top?.before).toHaveLength(3);
      expect(e.top?.after).toHaveLength(3);
      const s = steeringVector(m.adapted.logitsFor(ctx), m.base.logitsFor(ctx), { alpha: 0.2 });
      expect(e.kl).toBeCloseTo(s.kl, 5);
      ctx.push(e.token);
    }
    expect(m.live()).toBe(0);
  });
});

describe('generate: cancellation and errors', () => {
  it('an AbortSignal stops generation cleanly and disposes every session', async () => {
    for (const strategy of ['greedy', 'beam'] as const) {
      const controller = new AbortController();
      // the base model aborts once contexts reach 4 generated tokens: mid-search for beams too
      const base = createToyModel({ vocabSize: V, seed: 7 });
      const adapted = createToyModel({ vocabSize: V, seed: 8 });
      const watcher = new FunctionModel({
        vocabSize: V,
        logits: (ctx) => {
          if (ctx.length >= PROMPT.length + 4) controller.abort();
          return base.logitsFor(ctx);
        },
      });
      const session = pairSessions(watcher.createSession(), adapted.createSession());
      const stream = generate(session, PROMPT, {
        maxNewTokens: 50,
        strategy,
        numBeams: 3,
        steer: { mu: -2 },
        signal: controller.signal,
      });
      let seen = 0;
      for await (const _ of stream) seen++;
      const result = await stream.result;
      expect(result.finishReason).toBe('aborted');
      expect(result.tokens.length).toBeLessThan(10);
      expect(seen).toBe(result.tokens.length);
      expect(watcher.liveSessions + adapted.liveSessions).toBe(0);
    }
  });

  it('breaking out of the loop ends the generation and disposes its sessions', async () => {
    const m = toyPair(8);
    const stream = generate(m.paired(), PROMPT, { maxNewTokens: 50 });
    for await (const e of stream) if (e.step === 2) break;
    const result = await stream.result;
    expect(result.finishReason).toBe('aborted');
    expect(result.tokens.length).toBeGreaterThanOrEqual(3);
    expect(m.live()).toBe(0);
  });

  it('refuses steering without a paired session, and bad options, disposing the session', async () => {
    const m = toyPair(9);
    await expect(generateAll(m.adapted.createSession(), PROMPT, { steer: { mu: 1 } })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    expect(() => generate(m.adapted.createSession(), PROMPT, { maxNewTokens: 0 })).toThrow(/maxNewTokens/);
    expect(() => generate(m.adapted.createSession(), [V + 5])).toThrowError(
      expect.objectContaining({ code: 'TOKEN_OUT_OF_RANGE' }),
    );
    expect(() => generate(m.adapted.createSession(), PROMPT, { stopStrings: ['x'] })).toThrow(/tokenizer/);
    expect(() => generate(m.paired(), PROMPT, { steer: { mu: Number.NaN } })).toThrow(/mu/);
    expect(m.live()).toBe(0);
    const banned = await generateAll(m.adapted.createSession(), PROMPT, {
      logitBias: Object.fromEntries(Array.from({ length: V }, (_, i) => [i, Number.NEGATIVE_INFINITY])),
    }).catch((e: unknown) => e);
    expect(banned).toMatchObject({ code: 'NON_FINITE_LOGITS' });
    expect(m.live()).toBe(0);
  });

  it('pairs sessions of models with different vocabularies only with VOCAB_MISMATCH', () => {
    const a = toyPair(1, 10);
    const b = toyPair(1, 11);
    expect(() => pairSessions(a.base.createSession(), b.adapted.createSession())).toThrowError(
      expect.objectContaining({ code: 'VOCAB_MISMATCH' }),
    );
  });
});

import { normalise, scoreChoices } from '@svdecode/eval';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.js';
import type { RequestContext } from './request-context.js';
import { type ScoreBody, scoreSchema } from './schemas.js';

/** POST /v1/score: each choice's log-likelihood, plain and steered. */
export function scoreRoute(app: FastifyInstance, ctx: RequestContext): void {
  const { setup, limits, gate, encodePrompt, steerOf, admit } = ctx;
  const { adapted, tokenizer } = setup;
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
}

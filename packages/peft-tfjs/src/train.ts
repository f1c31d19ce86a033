// Over 300 lines on purpose: the warm-start loop, its AdamW step, schedule, clipping and progress
// share the loop's state (one training procedure, as PEFT's Trainer).
import { enableGradients } from '@svdecode/backend-tfjs';
import { SvdecodeError, type TokenizedRow } from '@svdecode/core';
import { seededRandom } from '@svdecode/peft';
import * as tf from '@tensorflow/tfjs-core';
import type { AdaptedModel } from './adapted-model.js';
import { saveAdapter } from './io.js';
import { rowLogits } from './runtime.js';

/** A training row (the loss covers the completion tokens only): core's `TokenizedRow`. */
export type TrainingExample = TokenizedRow;

export interface TrainingProgress {
  /** Optimizer steps done / planned. */
  step: number;
  totalSteps: number;
  epoch: number;
  /** Mean loss of this step's completion tokens (nats). */
  loss: number;
  learningRate: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface WarmStartOptions {
  /** Passes over the data (paper: 1). */
  epochs?: number;
  /** Peak learning rate (paper: 5e-5). */
  learningRate?: number;
  /** Examples per micro-batch (paper: 1). */
  batchSize?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradAccum?: number;
  /** Tokens kept per example, prompt + completion (paper: 512); longer prompts are cut from the left. */
  maxLength?: number;
  /** Share of the steps spent warming the learning rate up linearly (default 0). */
  warmupRatio?: number;
  /** After warm-up: 'linear' decay to 0 (default, as Hugging Face), 'cosine', or 'constant'. */
  schedule?: 'linear' | 'cosine' | 'constant';
  /** Decoupled weight decay of AdamW (default 0.01). */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Global gradient-norm clipping (default 1.0; 0 turns it off). */
  maxGradNorm?: number;
  /** Shuffling, dropout and adapter initialisation seed (default 0): same seed, same adapter. */
  seed?: number;
  onProgress?: (progress: TrainingProgress) => void;
  /** Stops after the step in flight; the adapter is saved as it is (when `saveTo` is set). */
  signal?: AbortSignal;
  /** Save the adapter here (atomically) at the end and on interruption. */
  saveTo?: string;
  /** Recorded in the saved adapter_config.json. */
  baseModelName?: string;
}

export interface WarmStartResult {
  steps: number;
  tokens: number;
  /** Loss of every optimizer step. */
  losses: number[];
  interrupted: boolean;
  seconds: number;
  tokensPerSecond: number;
  savedTo?: string;
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  const next = seededRandom(seed + 1);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Prompt + completion cut to maxLength (from the left of the prompt), and where the completion starts. */
function prepare(
  example: TrainingExample,
  maxLength: number,
  vocab: number,
): { tokens: number[]; firstTarget: number } {
  if (example.completion.length === 0) {
    throw new SvdecodeError('BAD_DATASET_ROW', 'a training example has an empty completion', {
      hint: 'Every row needs completion tokens to learn from.',
    });
  }
  const all = [...example.prompt, ...example.completion];
  for (const t of all) {
    if (!Number.isInteger(t) || t < 0 || t >= vocab)
      throw new SvdecodeError('TOKEN_OUT_OF_RANGE', `training token ${t} is outside [0, ${vocab})`);
  }
  const cut = Math.max(0, all.length - maxLength);
  return { tokens: all.slice(cut), firstTarget: Math.max(1, example.prompt.length - cut) };
}

function learningRateAt(step: number, total: number, peak: number, warmup: number, schedule: string): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  if (schedule === 'constant') return peak;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return schedule === 'cosine' ? 0.5 * peak * (1 + Math.cos(Math.PI * progress)) : peak * (1 - progress);
}

/** The options with the defaults filled in, each checked (BAD_ARGUMENT naming the field). */
function resolveTraining(options: WarmStartOptions) {
  const resolved = {
    epochs: options.epochs ?? 1,
    lr: options.learningRate ?? 5e-5,
    batchSize: options.batchSize ?? 1,
    accum: options.gradAccum ?? 1,
    maxLength: options.maxLength ?? 512,
    seed: options.seed ?? 0,
    b1: options.beta1 ?? 0.9,
    b2: options.beta2 ?? 0.999,
    eps: options.epsilon ?? 1e-8,
    weightDecay: options.weightDecay ?? 0.01,
    maxGradNorm: options.maxGradNorm ?? 1,
  };
  const { epochs, lr, batchSize, accum, maxLength } = resolved;
  for (const [name, v, ok] of [
    ['epochs', epochs, Number.isInteger(epochs) && epochs >= 1],
    ['learningRate', lr, lr > 0 && Number.isFinite(lr)],
    ['batchSize', batchSize, Number.isInteger(batchSize) && batchSize >= 1],
    ['gradAccum', accum, Number.isInteger(accum) && accum >= 1],
    ['maxLength', maxLength, Number.isInteger(maxLength) && maxLength >= 2],
  ] as const) {
    if (!ok)
      throw new SvdecodeError('BAD_ARGUMENT', `${name} has an invalid value (${v})`, {
        details: { field: name, value: v },
      });
  }
  return resolved;
}

/** Gradients summed over the micro-batches of one optimizer step (gradient accumulation). */
class GradientSum {
  #sum: tf.Tensor[] | undefined;

  add(grads: tf.Tensor[]): void {
    if (!this.#sum) {
      this.#sum = grads;
      return;
    }
    const summed = this.#sum.map((p, i) => tf.add(p, grads[i]!));
    tf.dispose([...this.#sum, ...grads]);
    this.#sum = summed;
  }

  /** The sum so far (the caller disposes it); empty again afterwards. */
  take(): tf.Tensor[] {
    const sum = this.#sum ?? [];
    this.#sum = undefined;
    return sum;
  }

  dispose(): void {
    if (this.#sum) tf.dispose(this.#sum);
    this.#sum = undefined;
  }
}

/**
 * Warm-starts the adapter of `adapted` on prompt/completion rows: causal-LM loss on completion
 * tokens only, AdamW, paper defaults (1 epoch, lr 5e-5, batch 1, max length 512). Deterministic for
 * a seed. Saves atomically at the end and on interruption when `saveTo` is given.
 */
export async function warmStart(
  adapted: AdaptedModel,
  examples: TrainingExample[],
  options: WarmStartOptions = {},
): Promise<WarmStartResult> {
  const { epochs, lr, batchSize, accum, maxLength, seed, b1, b2, eps, weightDecay, maxGradNorm } =
    resolveTraining(options);
  if (examples.length === 0) throw new SvdecodeError('BAD_DATASET_ROW', 'no training examples');
  await enableGradients();
  const { base, adapter } = adapted;
  const V = adapted.vocabSize;
  const prepared = examples.map((e) => prepare(e, maxLength, V));
  const microPerEpoch = Math.ceil(prepared.length / batchSize);
  const totalSteps = Math.ceil((microPerEpoch * epochs) / accum);
  const warmup = Math.floor((options.warmupRatio ?? 0) * totalSteps);
  const vars = adapter.variables;
  const m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const s = vars.map((v) => tf.variable(tf.zerosLike(v), false));

  const started = Date.now();
  const losses: number[] = [];
  let tokens = 0;
  let step = 0;
  let interrupted = false;
  adapter.training = true;
  try {
    const pending = new GradientSum();
    let pendingLoss = 0;
    let micro = 0;
    outer: for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffled(prepared, seed + epoch);
      for (let start = 0; start < order.length; start += batchSize) {
        // let the event loop run (signal handlers such as Ctrl-C): tfjs-wasm's data() resolves
        // without ever yielding to it
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) {
          interrupted = true;
          break outer;
        }
        const batch = order.slice(start, start + batchSize);
        const { value, grads } = tf.variableGrads(() => lossOf(base, adapter, batch, V), [...vars]);
        pendingLoss += (await value.data())[0]! / accum;
        value.dispose();
        pending.add(vars.map((v) => grads[v.name]!));
        tokens += batch.reduce((a, e) => a + e.tokens.length, 0);
        micro++;
        const last = micro === microPerEpoch * epochs;
        if (micro % accum !== 0 && !last) continue;
        const rate = learningRateAt(step, totalSteps, lr, warmup, options.schedule ?? 'linear');
        const summed = pending.take();
        applyAdamW(vars, summed, m, s, {
          rate,
          b1,
          b2,
          eps,
          weightDecay,
          maxGradNorm,
          step: step + 1,
          accum: micro % accum || accum,
        });
        tf.dispose(summed);
        losses.push(pendingLoss);
        step++;
        const seconds = (Date.now() - started) / 1000;
        options.onProgress?.({
          step,
          totalSteps,
          epoch,
          loss: pendingLoss,
          learningRate: rate,
          tokensPerSecond: tokens / Math.max(seconds, 1e-9),
          etaSeconds: (seconds / step) * (totalSteps - step),
        });
        pendingLoss = 0;
      }
    }
    pending.dispose();
  } finally {
    adapter.training = false;
    tf.dispose([...m, ...s]);
  }
  if (options.saveTo)
    await saveAdapter(adapter, options.saveTo, { baseModel: options.baseModelName ?? base.info.name });
  const seconds = (Date.now() - started) / 1000;
  return {
    steps: step,
    tokens,
    losses,
    interrupted,
    seconds,
    tokensPerSecond: tokens / Math.max(seconds, 1e-9),
    ...(options.saveTo ? { savedTo: options.saveTo } : {}),
  };
}

/** Mean cross-entropy over the completion tokens of a batch. */
function lossOf(
  base: AdaptedModel['base'],
  adapter: AdaptedModel['adapter'],
  batch: Array<{ tokens: number[]; firstTarget: number }>,
  V: number,
): tf.Scalar {
  const rows = batch.map((e) => e.tokens);
  const seq = Math.max(...rows.map((r) => r.length));
  const logits = rowLogits(
    base,
    adapter,
    rows,
    rows.map(() => true),
  );
  // position t predicts token t + 1; only completion tokens count
  const targets = new Int32Array(batch.length * seq);
  const weights = new Float32Array(batch.length * seq);
  batch.forEach((e, b) => {
    for (let t = e.firstTarget - 1; t < e.tokens.length - 1; t++) {
      targets[b * seq + t] = e.tokens[t + 1]!;
      weights[b * seq + t] = 1;
    }
  });
  const count = weights.reduce((a, w) => a + w, 0);
  // one-hot and a product rather than a gather: gather's gradient is missing on the wasm backend
  const oneHot = tf.oneHot(tf.tensor1d(targets, 'int32'), V);
  const logProbs = tf.logSoftmax(tf.reshape(logits, [batch.length * seq, V]));
  const picked = tf.sum(tf.mul(oneHot, logProbs), -1);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weights)))), Math.max(count, 1)) as tf.Scalar;
}

/** One AdamW step (decoupled weight decay, bias-corrected moments, global-norm clipping) for custom training loops. */
export function applyAdamW(
  vars: readonly tf.Variable[],
  grads: tf.Tensor[],
  m: tf.Variable[],
  s: tf.Variable[],
  o: {
    rate: number;
    b1: number;
    b2: number;
    eps: number;
    weightDecay: number;
    maxGradNorm: number;
    step: number;
    accum: number;
  },
): void {
  tf.tidy(() => {
    let g = grads.map((x) => tf.div(x, o.accum));
    if (o.maxGradNorm > 0) {
      const norm = Math.sqrt(g.reduce((acc, x) => acc + tf.sum(tf.square(x)).dataSync()[0]!, 0));
      if (norm > o.maxGradNorm) g = g.map((x) => tf.mul(x, o.maxGradNorm / (norm + 1e-6)));
    }
    const c1 = 1 - o.b1 ** o.step;
    const c2 = 1 - o.b2 ** o.step;
    vars.forEach((v, i) => {
      const mi = tf.add(tf.mul(m[i]!, o.b1), tf.mul(g[i]!, 1 - o.b1));
      const si = tf.add(tf.mul(s[i]!, o.b2), tf.mul(tf.square(g[i]!), 1 - o.b2));
      m[i]!.assign(mi);
      s[i]!.assign(si);
      const update = tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(si, c2)), o.eps));
      v.assign(tf.sub(v, tf.mul(tf.add(update, tf.mul(v, o.weightDecay)), o.rate)));
    });
  });
}

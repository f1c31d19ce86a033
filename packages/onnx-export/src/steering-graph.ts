import { DataType, type GraphBuilder } from './graph.js';

/** The inputs and outputs a paired graph with steering inside it adds (ONNX names). */
export const STEERING_INPUTS = ['steer_mu', 'steer_alpha', 'steer_lambda'] as const;
export const STEERING_OUTPUTS = ['steered_logits', 'steer_kl', 'steer_kept'] as const;

/**
 * SVDecode's steering step in standard ONNX operators, on the last position of a paired run's
 * logits [batch, seq, V] (row 0 the base model, the last row the adapted one; a one-row run
 * compares the row with itself). Inputs `steer_mu`, `steer_alpha`, `steer_lambda` (float
 * scalars; lambda -Infinity removes masked tokens); outputs `steered_logits` [V], `steer_kl` [1]
 * (KL(p_adapted || p_base), nats) and `steer_kept` [1] (the confident set's size, as a float). The
 * formula is `@svdecode/kl-gradient`'s: r = log_softmax(adapted) - log_softmax(base),
 * delta = p (KL - r), mask = p >= alpha max p, steered = mask ? adapted + mu delta : adapted + mu lambda
 * (-Infinity when lambda is). mu = 0 is left to the caller (no steering: the adapted logits
 * unmasked). NaN or infinite logits give a non-finite KL, which the caller hands to the JavaScript
 * kernel for its error.
 */
export function addSteering(g: GraphBuilder, logits: string, vocab: number): void {
  const mu = g.input('steer_mu', DataType.FLOAT, []);
  const alpha = g.input('steer_alpha', DataType.FLOAT, []);
  const lambda = g.input('steer_lambda', DataType.FLOAT, []);
  const last = g.one('Gather', [logits, g.ints([-1], true)], { axis: 1 }); // [batch, V]
  const base = g.one('Gather', [last, g.ints([0], true)], { axis: 0 }); // [V]
  const adapted = g.one('Gather', [last, g.ints([-1], true)], { axis: 0 });
  const la = g.one('LogSoftmax', [adapted], { axis: -1 });
  const r = g.one('Sub', [la, g.one('LogSoftmax', [base], { axis: -1 })]);
  const p = g.one('Exp', [la]);
  const kl = g.one('ReduceSum', [g.one('Mul', [p, r]), g.ints([-1])], { keepdims: 1 }); // [1]
  const delta = g.one('Mul', [p, g.one('Sub', [kl, r])]);
  const top = g.one('ReduceMax', [p], { axes: [-1], keepdims: 1 });
  const mask = g.one('GreaterOrEqual', [p, g.one('Mul', [top, alpha])]);
  // masked tokens: -Infinity when lambda is (whatever the sign of mu), else adapted + mu lambda
  const masked = g.one('Where', [
    g.one('IsInf', [lambda], { detect_positive: 0 }),
    g.float(Number.NEGATIVE_INFINITY),
    g.one('Mul', [mu, lambda]),
  ]);
  const steered = g.one('Where', [
    mask,
    g.one('Add', [adapted, g.one('Mul', [delta, mu])]),
    g.one('Add', [adapted, masked]),
  ]);
  g.name(steered, 'steered_logits');
  g.name(kl, 'steer_kl');
  g.name(
    g.one('ReduceSum', [g.one('Cast', [mask], { to: DataType.FLOAT }), g.ints([-1])], { keepdims: 1 }),
    'steer_kept',
  );
  g.output('steered_logits', DataType.FLOAT, [vocab]);
  g.output('steer_kl', DataType.FLOAT, [1]);
  g.output('steer_kept', DataType.FLOAT, [1]);
}

// Over 300 lines on purpose: the grid decoder's branches, their shared forwards and the likelihood
// forks all read one per-row state; split, each part would need the others' internals.
import { type PairedCausalLM, type PairedSession, SvdecodeError, type Tokenizer } from '@svdecode/core';
import {
  checkAlpha,
  createSteeringBuffers,
  type Steering,
  type SteeringSettings,
  steeringVector,
} from '@svdecode/kl-gradient';
import type { MultipleChoiceRow, PromptCompletionRow } from './datasets.js';
import { exactMatch, parseTemplateAnswer } from './metrics.js';
import { fillTemplate, multipleChoiceAnswer, multipleChoicePrompt } from './templates.js';

/**
 * One way to decode: kl-gradient's `SteeringSettings` with the confidence threshold spelled out.
 * mu = 0 is plain adapted decoding (no mask), as everywhere in svdecode.
 */
export type SteerSetting = SteeringSettings & { alpha: number };

/**
 * Many steering settings evaluated at once on one paired model: greedy decoding shares each paired
 * forward among the settings whose tokens agree so far (answers are a few tokens long, so a row
 * costs one prefill and a few steps per distinct answer), and choice likelihoods for every setting
 * come from one set of stored logits per choice. Token-for-token what `evaluateChoices` /
 * `evaluateOpenEnded` decode with `steer: setting` (tested), at a fraction of the cost.
 */
export interface GridOptions {
  /** Generation limit per row (multiple choice: 8, open-ended: 12, as `evaluateChoices`). */
  maxNewTokens?: number;
  /** Generation stops at these strings (default: the end of the line). */
  stopStrings?: readonly string[];
  /** Multiple choice: also score each choice's likelihood under every setting (default true). */
  likelihood?: boolean;
  /** Called after each row. */
  onRow?: (done: number, total: number) => void;
}

/** One row's outcome under every setting (arrays indexed like `settings`). */
export interface GridRow {
  /** The generated text under each setting. */
  generated: string[];
  /** Greedy answer correct (template answer, or normalised exact match). */
  correct: boolean[];
  /** Multiple choice with likelihood: summed log-likelihood of each choice, per setting. */
  logLikelihoods?: number[][];
  /** Indices of the correct choices (multiple choice). */
  labels?: number[];
}

interface Branch {
  session: PairedSession;
  adapted: Float32Array;
  base: Float32Array;
  members: number[];
  tokens: number[];
}

/** Per-alpha steering buffers of one position, computed on first use. */
class StepSteering {
  readonly #buffers = new Map<number, Steering>();
  readonly #kept = new Map<number, number[]>();
  #adapted: Float32Array | undefined;
  #base: Float32Array | undefined;

  reset(adapted: Float32Array, base: Float32Array): void {
    this.#adapted = adapted;
    this.#base = base;
    this.#kept.clear();
  }

  /** The steering vector at `alpha` and the indices its mask keeps. */
  at(alpha: number): { steering: Steering; kept: number[] } {
    let kept = this.#kept.get(alpha);
    let steering = this.#buffers.get(alpha);
    if (!steering) {
      steering = createSteeringBuffers(this.#adapted!.length);
      this.#buffers.set(alpha, steering);
    }
    if (!kept) {
      steeringVector(this.#adapted!, this.#base!, { alpha, out: steering });
      kept = [];
      for (let i = 0; i < steering.mask.length; i++) if (steering.mask[i]) kept.push(i);
      this.#kept.set(alpha, kept);
    }
    return { steering, kept };
  }
}

/**
 * The greedy token under one setting: the first index of the largest steered logit, each computed
 * in float32 as `steerLogits` writes it, so ties break exactly as the sampler's greedy selector.
 */
function greedyToken(adapted: Float32Array, setting: SteerSetting, steer: StepSteering): number {
  const lambda = setting.lambda ?? Number.NEGATIVE_INFINITY;
  let best = -1;
  let max = Number.NEGATIVE_INFINITY;
  if (setting.mu === 0) {
    for (let i = 0; i < adapted.length; i++)
      if (adapted[i]! > max) {
        max = adapted[i]!;
        best = i;
      }
  } else if (lambda === Number.NEGATIVE_INFINITY) {
    const { steering, kept } = steer.at(setting.alpha);
    for (const i of kept) {
      const v = Math.fround(adapted[i]! + setting.mu * steering.delta[i]!);
      if (v > max) {
        max = v;
        best = i;
      }
    }
  } else {
    const { steering } = steer.at(setting.alpha);
    const masked = setting.mu * lambda;
    for (let i = 0; i < adapted.length; i++) {
      const v = Math.fround(adapted[i]! + (steering.mask[i] ? setting.mu * steering.delta[i]! : masked));
      if (v > max) {
        max = v;
        best = i;
      }
    }
  }
  if (best < 0) throw new SvdecodeError('NON_FINITE_LOGITS', 'no token is left to choose under a setting');
  return best;
}

/** log softmax of the steered logits at `target`; at mu = 0 the plain adapted model's. */
function steeredLogProb(
  adapted: Float32Array,
  setting: SteerSetting,
  steer: StepSteering,
  target: number,
): number {
  const lambda = setting.lambda ?? Number.NEGATIVE_INFINITY;
  const value = (i: number, s: Steering | undefined) =>
    s === undefined
      ? adapted[i]!
      : Math.fround(adapted[i]! + (s.mask[i] ? setting.mu * s.delta[i]! : setting.mu * lambda));
  if (setting.mu !== 0 && lambda === Number.NEGATIVE_INFINITY) {
    const { steering, kept } = steer.at(setting.alpha);
    if (!steering.mask[target]) return Number.NEGATIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const i of kept) max = Math.max(max, value(i, steering));
    let z = 0;
    for (const i of kept) z += Math.exp(value(i, steering) - max);
    return value(target, steering) - max - Math.log(z);
  }
  const steering = setting.mu === 0 ? undefined : steer.at(setting.alpha).steering;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < adapted.length; i++) max = Math.max(max, value(i, steering));
  if (max === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  let z = 0;
  for (let i = 0; i < adapted.length; i++) {
    const v = value(i, steering);
    if (v !== Number.NEGATIVE_INFINITY) z += Math.exp(v - max);
  }
  return value(target, steering) - max - Math.log(z);
}

/** The decoded text up to the first stop string, as the sampler's text tracker cuts it. */
function decodeUntilStop(
  tokenizer: Tokenizer,
  tokens: readonly number[],
  stops: readonly string[],
): { text: string; stopped: boolean } {
  const full = tokenizer.decode([...tokens], { skipSpecialTokens: true });
  let text = full;
  let stopped = false;
  for (const stop of stops) {
    const at = full.indexOf(stop);
    if (at >= 0) {
      text = full.slice(0, at);
      stopped = true;
    }
  }
  return { text, stopped };
}

function checkSettings(settings: readonly SteerSetting[]): void {
  if (settings.length === 0) throw new SvdecodeError('BAD_ARGUMENT', 'no steering settings to evaluate');
  for (const s of settings) {
    if (!Number.isFinite(s.mu))
      throw new SvdecodeError('BAD_ARGUMENT', `mu must be a finite number, got ${s.mu}`, {
        details: { mu: s.mu },
      });
    checkAlpha(s.alpha);
  }
}

const copy = (logits: { adapted: Float32Array; base: Float32Array }) => ({
  adapted: Float32Array.from(logits.adapted),
  base: Float32Array.from(logits.base),
});

/**
 * Greedy decodes of one prefilled prompt under every setting. `session` holds the prompt and
 * `first` its last position's logits; the session is consumed (disposed).
 */
async function greedyAll(
  session: PairedSession,
  first: { adapted: Float32Array; base: Float32Array },
  settings: readonly SteerSetting[],
  tokenizer: Tokenizer,
  maxNewTokens: number,
  stops: readonly string[],
): Promise<string[]> {
  const texts: string[] = new Array(settings.length).fill('');
  const eos = new Set(tokenizer.eosTokenIds);
  const steer = new StepSteering();
  let branches: Branch[] = [{ session, ...first, members: settings.map((_, i) => i), tokens: [] }];
  if (maxNewTokens <= 0) session.dispose();
  for (let step = 0; step < maxNewTokens && branches.length > 0; step++) {
    const next: Branch[] = [];
    for (const branch of branches) {
      steer.reset(branch.adapted, branch.base);
      const byToken = new Map<number, number[]>();
      for (const m of branch.members) {
        const token = greedyToken(branch.adapted, settings[m]!, steer);
        const group = byToken.get(token);
        if (group) group.push(m);
        else byToken.set(token, [m]);
      }
      const groups = [...byToken];
      for (let g = 0; g < groups.length; g++) {
        const [token, members] = groups[g]!;
        const tokens = [...branch.tokens, token];
        const { text, stopped } = decodeUntilStop(tokenizer, tokens, stops);
        const last = g === groups.length - 1;
        if (eos.has(token) || stopped || step + 1 >= maxNewTokens) {
          for (const m of members) texts[m] = text;
          if (last) branch.session.dispose();
          continue;
        }
        const s = last ? branch.session : branch.session.fork();
        next.push({ session: s, ...copy(await s.append([token])), members, tokens });
      }
    }
    branches = next;
  }
  for (const b of branches) b.session.dispose();
  return texts;
}

/**
 * Summed log-likelihood of each choice under every setting: the prompt's last logits predict each
 * choice's first token; a fork of the prompt's session reads the rest token by token.
 */
async function choiceLikelihoods(
  session: PairedSession,
  first: { adapted: Float32Array; base: Float32Array },
  settings: readonly SteerSetting[],
  choices: readonly (readonly number[])[],
): Promise<number[][]> {
  const out = settings.map(() => choices.map(() => 0));
  const steer = new StepSteering();
  for (let c = 0; c < choices.length; c++) {
    const choice = choices[c]!;
    if (choice.length === 0) throw new SvdecodeError('BAD_DATASET_ROW', 'a choice encodes to no tokens');
    let logits = first;
    const fork = choice.length > 1 ? session.fork() : undefined;
    try {
      for (let t = 0; t < choice.length; t++) {
        steer.reset(logits.adapted, logits.base);
        for (let s = 0; s < settings.length; s++)
          out[s]![c]! += steeredLogProb(logits.adapted, settings[s]!, steer, choice[t]!);
        if (t + 1 < choice.length) logits = copy(await fork!.append([choice[t]!]));
      }
    } finally {
      fork?.dispose();
    }
  }
  return out;
}

/**
 * Multiple-choice rows (their templates, as `evaluateChoices`) under every setting: greedy template
 * answers and, unless `likelihood: false`, each choice's summed log-likelihood.
 */
export async function evaluateChoicesGrid(
  model: PairedCausalLM,
  tokenizer: Tokenizer,
  rows: readonly MultipleChoiceRow[],
  settings: readonly SteerSetting[],
  options: GridOptions = {},
): Promise<GridRow[]> {
  checkSettings(settings);
  const out: GridRow[] = [];
  for (const row of rows) {
    const prompt = row.template
      ? fillTemplate(row.template, row.question, row.choices)
      : multipleChoicePrompt(row.question, row.choices);
    const ids = tokenizer.encode(prompt);
    const session = model.createPairedSession();
    const first = copy(await session.append(ids));
    let logLikelihoods: number[][] | undefined;
    if (options.likelihood !== false) {
      const completions = row.template
        ? row.choices.map((c) => ` ${c}`)
        : row.choices.map((_, k) => multipleChoiceAnswer(k));
      logLikelihoods = await choiceLikelihoods(
        session,
        first,
        settings,
        completions.map((c) => tokenizer.encode(c, { addSpecialTokens: false })),
      );
    }
    const generated = await greedyAll(
      session,
      first,
      settings,
      tokenizer,
      options.maxNewTokens ?? 8,
      options.stopStrings ?? ['\n'],
    );
    const choiceNames = row.template
      ? row.choices
      : row.choices.map((_, k) => multipleChoiceAnswer(k).trim());
    out.push({
      generated,
      correct: generated.map((g) => row.correct.includes(parseTemplateAnswer(g, choiceNames))),
      ...(logLikelihoods ? { logLikelihoods, labels: [...row.correct] } : {}),
    });
    options.onRow?.(out.length, rows.length);
  }
  return out;
}

/**
 * Prompt/completion rows under every setting: greedy generation, judged by normalised exact match
 * unless `isCorrect` says otherwise (e.g. a template answer that must start the generation).
 */
export async function evaluateOpenEndedGrid(
  model: PairedCausalLM,
  tokenizer: Tokenizer,
  rows: readonly PromptCompletionRow[],
  settings: readonly SteerSetting[],
  options: GridOptions & { isCorrect?: (generated: string, row: PromptCompletionRow) => boolean } = {},
): Promise<GridRow[]> {
  const isCorrect = options.isCorrect ?? ((g, row) => exactMatch(g, [row.completion]) === 1);
  checkSettings(settings);
  const out: GridRow[] = [];
  for (const row of rows) {
    const ids = tokenizer.encode(row.prompt);
    const session = model.createPairedSession();
    const first = copy(await session.append(ids));
    const generated = await greedyAll(
      session,
      first,
      settings,
      tokenizer,
      options.maxNewTokens ?? 12,
      options.stopStrings ?? ['\n'],
    );
    out.push({ generated, correct: generated.map((g) => isCorrect(g, row)) });
    options.onRow?.(out.length, rows.length);
  }
  return out;
}

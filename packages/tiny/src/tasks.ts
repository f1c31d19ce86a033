import type { Country, Definition, SentimentWord } from './facts.js';
import { seeded, shuffle } from './random.js';

/**
 * The paper's multiple-choice template (docs/method.md#templates) with one change: the model answers
 * with the choice's text, not "answerK". A 2M-parameter model cannot learn the numbered-pointer
 * indirection in one epoch (measured: base 0 %, LoRA 24 % on `capitals`, chance 25 %), while the
 * text ties the task to facts it learned in pre-training. Each row carries its rendered template.
 */
const MC_TEMPLATE = (choices: string[]) =>
  `Please choose the correct answer to the question: {question}\n${choices.map((c, i) => `Answer${i + 1}: ${c}`).join('\n')}\nAnswer format: the text of one answer\nthe correct answer is`;
const TF_TEMPLATE =
  'Please answer the following question with true or false, question: {question}\nAnswer format: true/false\nthe correct answer is';

export interface McRow {
  question: string;
  choices: string[];
  correct: number[];
  template?: string;
}

export interface PromptCompletion {
  prompt: string;
  completion: string;
}

export interface TaskSplits {
  name: string;
  kind: 'multiple-choice' | 'true-false' | 'open-ended';
  /** Warm-start rows (prompt/completion). */
  train: PromptCompletion[];
  /** Calibration rows for mu_bar (prompt/completion). */
  calibration: PromptCompletion[];
  /** Test rows: multiple choice for MC and true/false tasks, prompt/completion with the reference as completion for open-ended. */
  test: McRow[] | PromptCompletion[];
}

/** 60 / 20 / 20 split of the items, disjoint, in a seeded order. */
function split<T>(items: T[], seed: number): [T[], T[], T[]] {
  const order = shuffle(items, seeded(seed));
  const a = Math.round(order.length * 0.6);
  const b = Math.round(order.length * 0.8);
  return [order.slice(0, a), order.slice(a, b), order.slice(b)];
}

function mcRows<T>(
  items: T[],
  pool: T[],
  seed: number,
  question: (x: T) => string,
  answer: (x: T) => string,
  related: (x: T, y: T) => boolean,
): McRow[] {
  const next = seeded(seed);
  return items.map((item) => {
    const others = shuffle(
      pool.filter((p) => p !== item && answer(p) !== answer(item)),
      next,
    );
    const near = others.filter((p) => related(item, p));
    const distractors = [...near, ...others.filter((p) => !related(item, p))].slice(0, 3).map(answer);
    const position = Math.floor(next() * 4);
    const choices = [...distractors];
    choices.splice(position, 0, answer(item));
    return { question: question(item), choices, correct: [position], template: MC_TEMPLATE(choices) };
  });
}

const asTraining = (rows: McRow[]): PromptCompletion[] =>
  rows.map((r) => ({
    prompt: r.template!.replace('{question}', r.question),
    completion: ` ${r.choices[r.correct[0]!]}`,
  }));

/** The four task sets, with fixed, disjoint train / calibration / test splits. */
export function buildTasks(
  countries: Country[],
  sentiment: SentimentWord[],
  definitions: Definition[],
): TaskSplits[] {
  const capital = (c: Country) => c.capital;
  const capitalQuestion = (c: Country) => `What is the capital of ${c.name}?`;
  const sameContinent = (a: Country, b: Country) => a.continent === b.continent;
  const [ctrain, ccal, ctest] = split(countries, 11);
  const capitals = (items: Country[], seed: number) =>
    mcRows(items, countries, seed, capitalQuestion, capital, sameContinent);

  // balanced true/false: as many positive as negative words
  const positives = sentiment.filter((s) => s.score > 0);
  const negatives = shuffle(
    sentiment.filter((s) => s.score < 0),
    seeded(13),
  ).slice(0, positives.length);
  const [strain, scal, stest] = split([...positives, ...negatives], 17);
  const tf = (items: SentimentWord[]): McRow[] =>
    items.map((s) => ({
      question: `Is the word "${s.word}" positive?`,
      choices: ['true', 'false'],
      correct: [s.score > 0 ? 0 : 1],
      template: TF_TEMPLATE,
    }));

  const [dtrain, dcal, dtest] = split(definitions, 19);
  const words = (items: Definition[], seed: number) =>
    mcRows(
      items,
      definitions,
      seed,
      (d) => `Which word means "${d.gloss}"?`,
      (d) => d.word,
      (a, b) => a.word[0] === b.word[0],
    );

  const [otrain, ocal, otest] = split(countries, 23);
  const open = (items: Country[]): PromptCompletion[] =>
    items.map((c) => ({ prompt: `Q: ${capitalQuestion(c)}\nA:`, completion: ` ${c.capital}` }));

  return [
    {
      name: 'capitals',
      kind: 'multiple-choice',
      train: asTraining(capitals(ctrain, 1)),
      calibration: asTraining(capitals(ccal, 2)),
      test: capitals(ctest, 3),
    },
    {
      name: 'sentiment',
      kind: 'true-false',
      train: asTraining(tf(strain)),
      calibration: asTraining(tf(scal)),
      test: tf(stest),
    },
    {
      name: 'wordnet',
      kind: 'multiple-choice',
      train: asTraining(words(dtrain, 4)),
      calibration: asTraining(words(dcal, 5)),
      test: words(dtest, 6),
    },
    {
      name: 'capitals-open',
      kind: 'open-ended',
      train: open(otrain),
      calibration: open(ocal),
      test: open(otest),
    },
  ];
}

import type { Entities } from './entities.js';
import type { Country, Definition, SentimentWord } from './facts.js';
import { seeded, shuffle } from './random.js';

/**
 * The paper's multiple-choice template (docs/method.md#templates) with one change: the model answers
 * with the choice's text, not "answerK". The first (2M-parameter) embedded model could not learn the numbered-pointer
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

/**
 * The four task sets, on the entity splits the corpus was built from (`splitEntities`): the train,
 * calibration and test rows of a task ask about that split's entities only.
 */
export function buildTasks(entities: Entities): TaskSplits[] {
  const { countries, sentiment, definitions } = entities;
  const allCountries = [...countries.train, ...countries.calibration, ...countries.test];
  const capital = (c: Country) => c.capital;
  const capitalQuestion = (c: Country) => `What is the capital of ${c.name}?`;
  const sameContinent = (a: Country, b: Country) => a.continent === b.continent;
  const capitals = (items: Country[], seed: number) =>
    mcRows(items, allCountries, seed, capitalQuestion, capital, sameContinent);

  const tf = (items: SentimentWord[]): McRow[] =>
    items.map((s) => ({
      question: `Is the word "${s.word}" positive?`,
      choices: ['true', 'false'],
      correct: [s.score > 0 ? 0 : 1],
      template: TF_TEMPLATE,
    }));

  const allDefinitions = [...definitions.train, ...definitions.calibration, ...definitions.test];
  const words = (items: Definition[], seed: number) =>
    mcRows(
      items,
      allDefinitions,
      seed,
      (d) => `Which word means "${d.gloss}"?`,
      (d) => d.word,
      (a, b) => a.word[0] === b.word[0],
    );

  const open = (items: Country[]): PromptCompletion[] =>
    items.map((c) => ({ prompt: `Q: ${capitalQuestion(c)}\nA:`, completion: ` ${c.capital}` }));

  return [
    {
      name: 'capitals',
      kind: 'multiple-choice',
      train: asTraining(capitals(countries.train, 1)),
      calibration: asTraining(capitals(countries.calibration, 2)),
      test: capitals(countries.test, 3),
    },
    {
      name: 'sentiment',
      kind: 'true-false',
      train: asTraining(tf(sentiment.train)),
      calibration: asTraining(tf(sentiment.calibration)),
      test: tf(sentiment.test),
    },
    {
      name: 'wordnet',
      kind: 'multiple-choice',
      train: asTraining(words(definitions.train, 4)),
      calibration: asTraining(words(definitions.calibration, 5)),
      test: words(definitions.test, 6),
    },
    {
      name: 'capitals-open',
      kind: 'open-ended',
      train: open(countries.train),
      calibration: open(countries.calibration),
      test: open(countries.test),
    },
  ];
}

import { instructedChoice, instructedTrueFalse } from './corpus-instructed.js';
import type { Entities } from './entities.js';
import type { Country, Definition, SentimentWord } from './facts.js';
import { seeded, shuffle } from './random.js';

/*
 * Pre-training text built for knowledge that can be extracted (Allen-Zhu and Li, "Physics of
 * Language Models: Part 3.1", 2023): a model that sees each fact in one phrasing stores it but
 * cannot be taught to retrieve it for held-out entities; with knowledge augmentation (every fact in
 * many paraphrases, in documents whose sentence order varies) and question-answer text for part of
 * the entities mixed in, retrieval generalises to the others. So:
 * - every entity of every split gets several documents stating its facts in varied phrasings;
 * - question-answer text, in formats that are not the task templates, exists only for train-split
 *   and pre-training-only (`extra`) entities: no test or calibration entity is ever asked about, and
 *   no task template appears in pre-training.
 */

type Pick = <T>(xs: readonly T[]) => T;

const cap = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;
const article = (w: string) => (/^[aeiou]/.test(w) ? 'an' : 'a');

const CAPITAL: Array<(x: string, y: string) => string> = [
  (x, y) => `The capital of ${x} is ${y}.`,
  (x, y) => `${y} is the capital of ${x}.`,
  (x, y) => `${x}'s capital city is ${y}.`,
  (x, y) => `The capital city of ${x} is ${y}.`,
  (x, y) => `${y} is the capital city of ${x}.`,
  (x, y) => `The government of ${x} sits in ${y}, its capital.`,
  (x, y) => `${y} serves as the capital of ${x}.`,
  (x, y) => `In ${x}, the capital is ${y}.`,
  (x, y) => `${x} has ${y} as its capital.`,
  (x, y) => `The seat of government of ${x} is the city of ${y}.`,
];
const CONTINENT: Array<(x: string, c: string) => string> = [
  (x, c) => `${x} is a country in ${c}.`,
  (x, c) => `${x} lies in ${c}.`,
  (x, c) => `${x} is located in ${c}.`,
  (x, c) => `The country of ${x} is part of ${c}.`,
  (x, c) => `${x} is one of the countries of ${c}.`,
];
const CURRENCY: Array<(x: string, k: string) => string> = [
  (x, k) => `The currency of ${x} is the ${k}.`,
  (x, k) => `${x} uses the ${k} as its currency.`,
  (x, k) => `People in ${x} pay with the ${k}.`,
  (x, k) => `The official currency of ${x} is the ${k}.`,
];
const POLARITY: Array<(w: string, p: string) => string> = [
  (w, p) => `The word ${w} is ${p}.`,
  (w, p) => `${cap(w)} is a ${p} word.`,
  (w, p) => `${cap(w)} has a ${p} meaning.`,
  (w, p) => `People use the word ${w} in a ${p} sense.`,
  (w, p) => `The word ${w} expresses something ${p}.`,
  (w, p) => `${cap(w)} sounds ${p}.`,
  (w, p) => `In English, ${w} is a ${p} word.`,
  (w, p) => `The meaning of ${w} is ${p}.`,
  (w, p) => `The word "${w}" is ${p}.`,
  (w, p) => `"${cap(w)}" is a ${p} word.`,
];
const DEFINITION: Array<(w: string, g: string) => string> = [
  (w, g) => `${cap(article(w))} ${w} is ${g}.`,
  (w, g) => `${cap(g)}: that is ${article(w)} ${w}.`,
  (w, g) => `The word ${w} means ${g}.`,
  (w, g) => `${cap(w)} means ${g}.`,
  (w, g) => `By ${w} we mean ${g}.`,
  (w, g) => `${cap(article(w))} ${w}, that is, ${g}.`,
  (w, g) => `The meaning of the word ${w} is ${g}.`,
  (w, g) => `We call ${g} ${article(w)} ${w}.`,
  (w, g) => `The word "${w}" means "${g}".`,
  (w, g) => `"${cap(g)}" is what the word ${w} means.`,
];

/** A document about one country: its facts in random phrasings and order. */
function countryDocument(c: Country, pick: Pick, next: () => number): string {
  const facts = [pick(CAPITAL)(c.name, c.capital), pick(CONTINENT)(c.name, c.continent)];
  if (c.currency) facts.push(pick(CURRENCY)(c.name, c.currency));
  if (next() < 0.5) facts.push(pick(CAPITAL)(c.name, c.capital));
  return shuffle(facts, next).join(' ');
}

function choicesText(choices: string[]): string {
  return `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
}

/**
 * Four options: the answer and three distractors, in a random order; with `near`, distractors that
 * pass it come first (as in the task sets: same continent, same first letter).
 */
function options(
  answer: string,
  pool: string[],
  next: () => number,
  near?: (p: string) => boolean,
): string[] {
  const others = shuffle(
    pool.filter((p) => p !== answer),
    next,
  );
  const ordered = near ? [...others.filter(near), ...others.filter((p) => !near(p))] : others;
  return shuffle([answer, ...ordered.slice(0, 3)], next);
}

/** Multiple-choice questions in three layouts, none of them a task template. */
function multipleChoice(question: string, opts: string[], answer: string, next: () => number): string {
  switch (Math.floor(next() * 3)) {
    case 0:
      return `Question: ${question}\n${opts.map((o, i) => `(${'abcd'[i]}) ${o}`).join('\n')}\nThe correct answer is ${answer}.`;
    case 1:
      return `Choose the right answer to this question: ${question}\n${opts.map((o, i) => `Option ${i + 1}: ${o}`).join('\n')}\nThe right answer is ${answer}.`;
    default:
      return `${question} The options are ${choicesText(opts)}. The correct answer is ${answer}.`;
  }
}

function pickOfCapitals(capitals: string[], not: string, next: () => number): string {
  for (;;) {
    const x = capitals[Math.floor(next() * capitals.length)]!;
    if (x !== not) return x;
  }
}

/** Question-answer text about a country (train-split countries only). */
function countryQuestions(c: Country, countries: Country[], next: () => number): string[] {
  const capitals = countries.map((x) => x.capital);
  const neighbours = new Set(countries.filter((x) => x.continent === c.continent).map((x) => x.capital));
  const other = pickOfCapitals(capitals, c.capital, next);
  const truth = next() < 0.5;
  return [
    instructedChoice(
      next() < 0.5 ? `What is the capital of ${c.name}?` : `Which city is the capital of ${c.name}?`,
      options(c.capital, capitals, next, (p) => neighbours.has(p)),
      c.capital,
      next,
    ),
    instructedTrueFalse(`Is ${truth ? c.capital : other} the capital of ${c.name}?`, truth, next),
    `Question: What is the capital of ${c.name}?\nAnswer: ${c.capital}`,
    `Which city is the capital of ${c.name}? It is ${c.capital}.`,
    multipleChoice(`What is the capital of ${c.name}?`, options(c.capital, capitals, next), c.capital, next),
    multipleChoice(
      `Which city is the capital of ${c.name}?`,
      options(c.capital, capitals, next),
      c.capital,
      next,
    ),
    `Question: On which continent is ${c.name}?\nAnswer: ${c.continent}`,
  ];
}

function sentimentQuestions(s: SentimentWord, next: () => number): string[] {
  const positive = s.score > 0;
  const asked = next() < 0.5 ? 'positive' : 'negative';
  const yes = (asked === 'positive') === positive;
  const askedAgain = next() < 0.5 ? 'positive' : 'negative';
  return [
    instructedTrueFalse(
      `Is the word "${s.word}" ${askedAgain}?`,
      (askedAgain === 'positive') === positive,
      next,
    ),
    `Question: Is ${s.word} a ${asked} word?\nAnswer: ${yes}`,
    `Is the word ${s.word} positive or negative? It is ${positive ? 'positive' : 'negative'}.`,
    next() < 0.5
      ? `True or false: the word ${s.word} has a positive meaning. The correct answer is ${positive}.`
      : `Answer with true or false. Question: Is ${s.word} a positive word?\nThe right answer is ${positive}.`,
  ];
}

function definitionQuestions(d: Definition, words: string[], next: () => number): string[] {
  const sameLetter = (p: string) => p[0] === d.word[0];
  return [
    instructedChoice(
      next() < 0.5 ? `Which word means "${d.gloss}"?` : `What word means ${d.gloss}?`,
      options(d.word, words, next, next() < 0.5 ? sameLetter : undefined),
      d.word,
      next,
    ),
    `Question: What do we call ${d.gloss}?\nAnswer: ${article(d.word)} ${d.word}`,
    multipleChoice(`What word means ${d.gloss}?`, options(d.word, words, next), d.word, next),
    `Question: What does the word ${d.word} mean?\nAnswer: ${d.gloss}`,
  ];
}

/** Documents per entity stating its facts (knowledge augmentation). */
export const DOCUMENTS_PER_ENTITY = { country: 8, sentiment: 4, definition: 4 } as const;

/**
 * The pre-training corpus, one document per entry (documents may hold newlines), in a seeded order.
 */
export function buildCorpus(entities: Entities, seed = 7): string[] {
  const next = seeded(seed);
  const pick: Pick = (xs) => xs[Math.floor(next() * xs.length)]!;
  const all = <T>(s: { train: T[]; calibration: T[]; test: T[]; extra: T[] }) => [
    ...s.train,
    ...s.calibration,
    ...s.test,
    ...s.extra,
  ];
  const asked = <T>(s: { train: T[]; extra: T[] }) => [...s.train, ...s.extra];
  const docs: string[] = [];

  const countries = all(entities.countries);
  for (const c of countries)
    for (let k = 0; k < DOCUMENTS_PER_ENTITY.country; k++) docs.push(countryDocument(c, pick, next));
  for (const c of asked(entities.countries)) docs.push(...countryQuestions(c, countries, next));

  for (const s of all(entities.sentiment)) {
    const polarity = s.score > 0 ? 'positive' : 'negative';
    for (let k = 0; k < DOCUMENTS_PER_ENTITY.sentiment; k++)
      docs.push(`${pick(POLARITY)(s.word, polarity)} ${pick(POLARITY)(s.word, polarity)}`);
  }
  for (const s of asked(entities.sentiment)) docs.push(...sentimentQuestions(s, next));

  const definitions = all(entities.definitions);
  for (const d of definitions)
    for (let k = 0; k < DOCUMENTS_PER_ENTITY.definition; k++)
      docs.push(`${pick(DEFINITION)(d.word, d.gloss)} ${pick(DEFINITION)(d.word, d.gloss)}`);
  const words = definitions.map((d) => d.word);
  for (const d of asked(entities.definitions)) docs.push(...definitionQuestions(d, words, next));

  return shuffle(docs, next);
}

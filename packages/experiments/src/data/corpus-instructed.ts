/*
 * Instructed question layouts for pre-training (DECISIONS.md entry 9): they share the task
 * templates' structure (an instruction line with the question, numbered options on their own
 * lines, a line saying what form the reply takes, a lowercase closing phrase followed by the
 * answer) but none of their wording, so that choosing among listed options, learned here on
 * train-split and `extra` entities, transfers to the templates. The 3.4M model trained without
 * them named an entity of the right kind after the template, but not one of the listed choices.
 */

type Next = () => number;
const pickOf = <T>(xs: readonly T[], next: Next): T => xs[Math.floor(next() * xs.length)]!;

const INSTRUCTIONS = [
  (q: string) => `Pick the right option for this question: ${q}`,
  (q: string) => `Select the correct choice. The question is: ${q}`,
  (q: string) => `Read the question and pick one of the options, question: ${q}`,
  (q: string) => `Find the option that answers the question: ${q}`,
];
const OPTION_LABELS = [
  (i: number) => `Choice${i + 1}:`,
  (i: number) => `Option${i + 1}:`,
  (i: number) => `Option ${i + 1}:`,
  (i: number) => `(${i + 1})`,
  (i: number) => `${'ABCD'[i]})`,
];
const CHOICE_FORMATS = [
  'Reply format: the text of one option',
  'Reply with the text of one choice',
  'Format of the reply: one of the options above',
  'Give one option as it is written',
];
const CLOSINGS = [
  'the right choice is',
  'the correct option is',
  'the right answer is',
  'so the answer is',
  'my choice is',
];

/** A multiple-choice question in an instructed layout, answered with the option's text. */
export function instructedChoice(question: string, opts: string[], answer: string, next: Next): string {
  const label = pickOf(OPTION_LABELS, next);
  const lines = [
    pickOf(INSTRUCTIONS, next)(question),
    ...opts.map((o, i) => `${label(i)} ${o}`),
    ...(next() < 0.75 ? [pickOf(CHOICE_FORMATS, next)] : []),
    `${pickOf(CLOSINGS, next)} ${answer}.`,
  ];
  return lines.join('\n');
}

const TRUE_FALSE_INSTRUCTIONS = [
  (q: string) => `Reply with true or false to this question: ${q}`,
  (q: string) => `Say whether it is true or false, question: ${q}`,
  (q: string) => `True or false? The question is: ${q}`,
];
const TRUE_FALSE_FORMATS = [
  'Reply format: true or false',
  'Reply with one word: true/false',
  'Format: true/false',
];

/** A yes/no question in an instructed layout, answered with true or false. */
export function instructedTrueFalse(question: string, truth: boolean, next: Next): string {
  const lines = [
    pickOf(TRUE_FALSE_INSTRUCTIONS, next)(question),
    ...(next() < 0.75 ? [pickOf(TRUE_FALSE_FORMATS, next)] : []),
    `${pickOf(CLOSINGS, next)} ${truth}.`,
  ];
  return lines.join('\n');
}

import type { Country, Definition, SentimentWord } from './facts.js';
import { seeded, shuffle } from './random.js';

/**
 * Pre-training text: every fact the tasks ask about, each stated in a few phrasings, one sentence
 * per line, in a seeded order.
 */
export function buildCorpus(
  countries: Country[],
  sentiment: SentimentWord[],
  definitions: Definition[],
  seed = 7,
): string[] {
  const lines: string[] = [];
  for (const c of countries) {
    lines.push(
      `The capital of ${c.name} is ${c.capital}.`,
      `${c.capital} is the capital of ${c.name}.`,
      `${c.name} is a country in ${c.continent}.`,
      `Q: What is the capital of ${c.name}? A: ${c.capital}.`,
    );
    if (c.currency) lines.push(`The currency of ${c.name} is ${c.currency}.`);
  }
  for (const { word, score } of sentiment) {
    const polarity = score > 0 ? 'positive' : 'negative';
    lines.push(
      `The word ${word} is ${polarity}.`,
      `${word[0]!.toUpperCase()}${word.slice(1)} is a ${polarity} word.`,
    );
  }
  for (const { word, gloss } of definitions) {
    const article = /^[aeiou]/.test(word) ? 'An' : 'A';
    lines.push(
      `${article} ${word} is ${gloss}.`,
      `${gloss[0]!.toUpperCase()}${gloss.slice(1)}: that is ${article.toLowerCase()} ${word}.`,
    );
  }
  return shuffle(lines, seeded(seed));
}

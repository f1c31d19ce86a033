import type { Country, Definition, SentimentWord } from './facts.js';
import { seeded, shuffle } from './random.js';

/** Entities of one kind, by role: task splits, and `extra` ones that only pre-training sees. */
export interface EntitySplit<T> {
  train: T[];
  calibration: T[];
  test: T[];
  /** In pre-training with facts and question-answer text, in no task split. */
  extra: T[];
}

export interface Entities {
  countries: EntitySplit<Country>;
  sentiment: EntitySplit<SentimentWord>;
  definitions: EntitySplit<Definition>;
}

/**
 * How many entities each role gets. Train splits are small on purpose (a one-epoch warm-start per
 * method and seed must fit the replication budget); test splits are large enough for paired
 * bootstrap intervals to mean something.
 */
export const SPLIT_SIZES = {
  countries: { train: 90, calibration: 44, test: 90, extra: 0 },
  sentiment: { train: 200, calibration: 150, test: 350, extra: 800 },
  definitions: { train: 200, calibration: 150, test: 350, extra: 800 },
} as const;

function deal<T>(
  items: T[],
  sizes: { train: number; calibration: number; test: number; extra: number },
  seed: number,
) {
  const order = shuffle(items, seeded(seed));
  const need = sizes.train + sizes.calibration + sizes.test + sizes.extra;
  if (order.length < need) throw new Error(`need ${need} entities, have ${order.length}`);
  let at = 0;
  const take = (n: number) => {
    at += n;
    return order.slice(at - n, at);
  };
  return {
    train: take(sizes.train),
    calibration: take(sizes.calibration),
    test: take(sizes.test),
    extra: take(sizes.extra),
  };
}

/**
 * The one assignment of entities to roles that the corpus and the task sets share: a test entity's
 * facts are in pre-training (in many phrasings), but no question-answer text about it is, and the
 * task templates appear nowhere in pre-training.
 */
export function splitEntities(
  countries: Country[],
  sentiment: SentimentWord[],
  definitions: Definition[],
): Entities {
  // balanced sentiment: as many positive as negative words, then dealt
  const positives = shuffle(
    sentiment.filter((s) => s.score > 0),
    seeded(13),
  );
  const negatives = shuffle(
    sentiment.filter((s) => s.score < 0),
    seeded(14),
  );
  const half =
    (SPLIT_SIZES.sentiment.train +
      SPLIT_SIZES.sentiment.calibration +
      SPLIT_SIZES.sentiment.test +
      SPLIT_SIZES.sentiment.extra) /
    2;
  const balanced = [...positives.slice(0, half), ...negatives.slice(0, half)];
  return {
    countries: deal(countries, SPLIT_SIZES.countries, 11),
    sentiment: deal(balanced, SPLIT_SIZES.sentiment, 17),
    definitions: deal(definitions, SPLIT_SIZES.definitions, 19),
  };
}

import { readFile } from 'node:fs/promises';
import { SvdecodeError } from '@svdecode/core';
import { parse as parseCsv } from 'csv-parse/sync';

/** A multiple-choice row; `correct` holds the indices of the correct choices. */
export interface MultipleChoiceRow {
  question: string;
  choices: string[];
  correct: number[];
  /** Optional prompt template with `{question}` (and `{choices}`); the paper's is the default. */
  template?: string;
}

export interface PromptCompletionRow {
  prompt: string;
  completion: string;
}

/** A TruthfulQA question in the shape of the Hugging Face `multiple_choice` config. */
export interface TruthfulQaItem {
  question: string;
  /** One correct answer (label 1, first) and the incorrect ones. */
  mc1: { choices: string[]; labels: number[] };
  /** All correct and incorrect answers. */
  mc2: { choices: string[]; labels: number[] };
}

function rowError(file: string, line: number, field: string, message: string): never {
  throw new SvdecodeError('BAD_DATASET_ROW', `${file}:${line}: field "${field}" ${message}`, {
    details: { file, line, field },
  });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      {
        details: { file },
        cause: error,
      },
    );
  }
}

/** Parses JSON Lines: one object per non-empty line; errors name the file and line. */
export async function readJsonl(
  file: string,
): Promise<Array<{ line: number; value: Record<string, unknown> }>> {
  const text = await readText(file);
  const out: Array<{ line: number; value: Record<string, unknown> }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new SvdecodeError(
        'BAD_DATASET_ROW',
        `${file}:${i + 1}: not valid JSON (${(error as Error).message})`,
        { details: { file, line: i + 1 } },
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      rowError(file, i + 1, '(row)', 'must be a JSON object');
    out.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  if (out.length === 0) throw new SvdecodeError('BAD_DATASET_ROW', `${file}: no rows`, { details: { file } });
  return out;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Multiple-choice JSONL: `question`, `choices` (2+ strings), `correct` (an index or a list), optional `template`. */
export async function loadMultipleChoiceJsonl(file: string): Promise<MultipleChoiceRow[]> {
  return (await readJsonl(file)).map(({ line, value }) => {
    if (!isText(value.question)) rowError(file, line, 'question', 'must be a non-empty string');
    const choices = value.choices;
    if (!Array.isArray(choices) || choices.length < 2 || !choices.every(isText))
      rowError(file, line, 'choices', 'must be a list of 2 or more non-empty strings');
    const raw = typeof value.correct === 'number' ? [value.correct] : value.correct;
    if (
      !Array.isArray(raw) ||
      raw.length === 0 ||
      !raw.every((c) => Number.isInteger(c) && c >= 0 && c < choices.length)
    ) {
      rowError(
        file,
        line,
        'correct',
        `must be an index (or a list of indices) into choices [0, ${choices.length})`,
      );
    }
    if (value.template !== undefined && !isText(value.template))
      rowError(file, line, 'template', 'must be a string');
    return {
      question: value.question,
      choices: choices as string[],
      correct: [...new Set(raw as number[])],
      ...(value.template ? { template: value.template as string } : {}),
    };
  });
}

/** Prompt/completion JSONL: `prompt` (may be empty) and `completion` (non-empty). */
export async function loadPromptCompletionJsonl(file: string): Promise<PromptCompletionRow[]> {
  return (await readJsonl(file)).map(({ line, value }) => {
    if (typeof value.prompt !== 'string') rowError(file, line, 'prompt', 'must be a string');
    if (!isText(value.completion)) rowError(file, line, 'completion', 'must be a non-empty string');
    return { prompt: value.prompt, completion: value.completion };
  });
}

/** The original `TruthfulQA.csv` (answers separated by ";"). */
export async function loadTruthfulQaCsv(file: string): Promise<TruthfulQaItem[]> {
  let records: Array<Record<string, string>>;
  try {
    records = parseCsv(await readText(file), { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new SvdecodeError('BAD_DATASET_ROW', `${file}: not a CSV file (${(error as Error).message})`, {
      details: { file },
    });
  }
  return records.map((r, i) => {
    const line = i + 2; // the header is line 1
    for (const field of ['Question', 'Best Answer', 'Correct Answers', 'Incorrect Answers']) {
      if (!isText(r[field])) rowError(file, line, field, 'is missing or empty');
    }
    const split = (s: string) =>
      s
        .split(';')
        .map((x) => x.trim())
        .filter(Boolean);
    const best = r['Best Answer']!;
    const correct = split(r['Correct Answers']!);
    const incorrect = split(r['Incorrect Answers']!);
    if (incorrect.length === 0) rowError(file, line, 'Incorrect Answers', 'has no answers');
    const allCorrect = correct.includes(best) ? correct : [best, ...correct];
    return {
      question: r.Question!,
      mc1: { choices: [best, ...incorrect], labels: [1, ...incorrect.map(() => 0)] },
      mc2: {
        choices: [...allCorrect, ...incorrect],
        labels: [...allCorrect.map(() => 1), ...incorrect.map(() => 0)],
      },
    };
  });
}

/** The original `mc_task.json`: `[{ question, mc1_targets: { text: 0|1 }, mc2_targets: { text: 0|1 } }]`. */
export async function loadTruthfulQaMcTask(file: string): Promise<TruthfulQaItem[]> {
  const json = parseJson(await readText(file), file);
  if (!Array.isArray(json))
    throw new SvdecodeError('BAD_DATASET_ROW', `${file}: expected a JSON list of questions`, {
      details: { file },
    });
  return json.map((item, i) => {
    const targets = (field: string) => {
      const t = (item as Record<string, unknown>)?.[field];
      if (!t || typeof t !== 'object' || Object.keys(t).length === 0)
        rowError(file, i + 1, field, 'must map answers to 0 or 1');
      const entries = Object.entries(t as Record<string, unknown>);
      if (!entries.every(([, v]) => v === 0 || v === 1))
        rowError(file, i + 1, field, 'labels must be 0 or 1');
      return { choices: entries.map(([k]) => k), labels: entries.map(([, v]) => v as number) };
    };
    if (!isText((item as Record<string, unknown>)?.question))
      rowError(file, i + 1, 'question', 'must be a non-empty string');
    return {
      question: (item as { question: string }).question,
      mc1: targets('mc1_targets'),
      mc2: targets('mc2_targets'),
    };
  });
}

/** The Hugging Face `truthful_qa` `multiple_choice` rows (a JSON list or JSONL): `mc1_targets: { choices, labels }`. */
export async function loadTruthfulQaHf(file: string): Promise<TruthfulQaItem[]> {
  const text = await readText(file);
  const rows = text.trimStart().startsWith('[')
    ? (parseJson(text, file) as Array<Record<string, unknown>>).map((value, i) => ({ line: i + 1, value }))
    : await readJsonl(file);
  return rows.map(({ line, value }) => {
    const targets = (field: string) => {
      const t = value[field] as { choices?: unknown; labels?: unknown } | undefined;
      if (
        !t ||
        !Array.isArray(t.choices) ||
        !Array.isArray(t.labels) ||
        t.choices.length !== t.labels.length ||
        !t.choices.every(isText)
      ) {
        rowError(file, line, field, 'must be { choices: string[], labels: number[] } of equal length');
      }
      return { choices: t.choices as string[], labels: (t.labels as number[]).map((x) => (x ? 1 : 0)) };
    };
    if (!isText(value.question)) rowError(file, line, 'question', 'must be a non-empty string');
    return { question: value.question, mc1: targets('mc1_targets'), mc2: targets('mc2_targets') };
  });
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SvdecodeError('BAD_JSON', `${file}: ${(error as Error).message}`, { details: { file } });
  }
}

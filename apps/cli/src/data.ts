import { extname } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import {
  fillTemplate,
  loadMultipleChoiceJsonl,
  loadPromptCompletionJsonl,
  loadTruthfulQaCsv,
  loadTruthfulQaHf,
  loadTruthfulQaMcTask,
  type MultipleChoiceRow,
  multipleChoiceAnswer,
  multipleChoicePrompt,
  type PromptCompletionRow,
  readJsonl,
  type TruthfulQaItem,
} from '@svdecode/eval';
import { readJsonFile } from '@svdecode/hf-io';

export type Dataset =
  | { format: 'prompt-completion'; rows: PromptCompletionRow[] }
  | { format: 'multiple-choice'; rows: MultipleChoiceRow[] }
  | { format: 'truthfulqa'; items: TruthfulQaItem[] };

/**
 * Reads --data in any format @svdecode/eval knows, told apart by extension and fields:
 * `.csv` TruthfulQA.csv; `.json` mc_task.json or the Hugging Face `multiple_choice` export;
 * `.jsonl` prompt/completion rows or multiple-choice rows (by the first row's fields).
 */
export async function loadDataset(file: string): Promise<Dataset> {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return { format: 'truthfulqa', items: await loadTruthfulQaCsv(file) };
  if (ext === '.json') {
    const json = await readJsonFile(file);
    const first = Array.isArray(json) ? (json[0] as Record<string, unknown> | undefined) : undefined;
    const items =
      first && 'mc1_targets' in first ? await loadTruthfulQaMcTask(file) : await loadTruthfulQaHf(file);
    return { format: 'truthfulqa', items };
  }
  if (ext !== '.jsonl') {
    throw new SvdecodeError('BAD_ARGUMENT', `${file}: unknown data format "${ext || '(none)'}"`, {
      hint: 'Use .jsonl (prompt/completion or multiple-choice rows), TruthfulQA.csv, or a TruthfulQA .json.',
      details: { file },
    });
  }
  const [first] = await readJsonl(file);
  const fields = first!.value;
  if ('question' in fields || 'choices' in fields)
    return { format: 'multiple-choice', rows: await loadMultipleChoiceJsonl(file) };
  if ('prompt' in fields || 'completion' in fields)
    return { format: 'prompt-completion', rows: await loadPromptCompletionJsonl(file) };
  throw new SvdecodeError(
    'BAD_DATASET_ROW',
    `${file}:${first!.line}: neither a prompt/completion nor a multiple-choice row`,
    {
      hint: 'Rows need "prompt" and "completion", or "question", "choices" and "correct".',
      details: { file, line: first!.line, fields: Object.keys(fields) },
    },
  );
}

/** The prompt a multiple-choice row is shown with (its template, or the paper's). */
export function promptOf(row: MultipleChoiceRow): string {
  return row.template
    ? fillTemplate(row.template, row.question, row.choices)
    : multipleChoicePrompt(row.question, row.choices);
}

/** Training/calibration rows: prompt/completion as is; multiple choice as prompt + its correct answer. */
export function asPromptCompletion(data: Dataset, file: string): PromptCompletionRow[] {
  switch (data.format) {
    case 'prompt-completion':
      return data.rows;
    case 'multiple-choice':
      return data.rows.map((row) => {
        const k = row.correct[0]!;
        return {
          prompt: promptOf(row),
          completion: row.template ? ` ${row.choices[k]}` : multipleChoiceAnswer(k),
        };
      });
    case 'truthfulqa':
      return data.items.map((item) => ({
        prompt: `Q: ${item.question}\nA:`,
        completion: ` ${item.mc2.choices[item.mc2.labels.indexOf(1)] ?? item.mc1.choices[0]}`,
      }));
    default:
      throw new SvdecodeError('BAD_ARGUMENT', `${file}: unsupported data`);
  }
}

/** The paper's prompt templates (docs/method.md#templates). */

/** Multiple choice: numbered answers, and the model completes "the correct answer is answerK". */
export function multipleChoicePrompt(question: string, choices: readonly string[]): string {
  const lines = choices.map((c, i) => `Answer${i + 1}: ${c}`);
  const format = choices.map((_, i) => `answer${i + 1}`).join('/');
  return `Please choose the correct answer to the question: ${question}\n${lines.join('\n')}\nAnswer format: ${format}\nthe correct answer is`;
}

/** BoolQ-style true/false questions. */
export function trueFalsePrompt(question: string): string {
  return `Please answer the following question with true or false, question: ${question}\nAnswer format: true/false\nthe correct answer is`;
}

/** The completion the multiple-choice template expects for choice k (0-based). */
export const multipleChoiceAnswer = (k: number) => ` answer${k + 1}`;

/** Fills a row's own template: `{question}` and `{choices}` (one per line). */
export function fillTemplate(template: string, question: string, choices: readonly string[]): string {
  return template.replaceAll('{question}', question).replaceAll('{choices}', choices.join('\n'));
}

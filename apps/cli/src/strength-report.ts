import {
  AGGREGATES,
  type CrossValidation,
  type HeldOutEstimate,
  type StrengthDecision,
  type StrengthSummary,
} from '@svdecode/strength';

const signed = (x: number, digits = 4) =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(digits)}` : String(x);

/** One line: the decided strength, its aggregate and why (shown wherever mu_bar is). */
export function decisionLine(decision: StrengthDecision): string {
  const how = decision.guarded ? `guarded ${decision.aggregate}` : `${decision.aggregate}, guard off`;
  return `mu_bar = ${decision.mu.toPrecision(4)} (${how}; fitted ${decision.raw.toPrecision(4)}): ${decision.reason}`;
}

function row(label: string, mu: number | string, e: HeldOutEstimate): string {
  const muText = typeof mu === 'number' ? mu.toPrecision(4) : mu;
  return (
    `  ${label.padEnd(10)}${muText.padStart(12)}` +
    `${`${signed(e.lossChange)} ± ${e.lossChangeSE.toFixed(4)}`.padStart(22)}` +
    `${`${signed(100 * e.accuracyChange, 2)} ± ${(100 * e.accuracyChangeSE).toFixed(2)}`.padStart(20)}`
  );
}

/** The cross-validation table: every aggregate's held-out change against mu = 0, and the guarded rule's. */
export function crossValidationTable(summary: StrengthSummary, cv: CrossValidation): string {
  return [
    `held-out change against mu = 0 (${cv.folds}-fold cross-validation over ${cv.rows} rows, ${cv.steerableTokens} steerable tokens):`,
    `  ${'aggregate'.padEnd(10)}${'mu (all)'.padStart(12)}${'cross-entropy (nats)'.padStart(22)}${'accuracy (points)'.padStart(20)}`,
    ...AGGREGATES.map((a) => row(a, summary[a], cv.aggregates[a])),
    row('guarded', summary.decision.guarded ? summary.decision.mu : '(off)', cv.guarded),
    "  (cross-entropy over each steerable token's confident set; negative change = better; ± one standard error over rows; guarded: the rule rerun per fold)",
  ].join('\n');
}

/** What the calibration decided, as printed by calibrate and demo: table, decision, coverage warning. */
export function strengthReport(summary: StrengthSummary): string {
  const lines: string[] = [];
  if (summary.crossValidation) lines.push(crossValidationTable(summary, summary.crossValidation));
  lines.push(decisionLine(summary.decision));
  if (summary.coverage.warning) lines.push(`warning: ${summary.coverage.warning}`);
  return lines.join('\n');
}

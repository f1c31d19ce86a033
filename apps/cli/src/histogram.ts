/** A terminal drawing of a histogram: one line per bin, bar lengths proportional to counts. */
export function drawHistogram(histogram: { edges: number[]; counts: number[] }, width = 40): string {
  const { edges, counts } = histogram;
  if (counts.length === 0) return '  (no values)';
  const max = Math.max(...counts, 1);
  const label = (x: number) => x.toPrecision(3).padStart(10);
  return counts
    .map(
      (c, i) =>
        `${label(edges[i]!)} .. ${label(edges[i + 1]!)} | ${'#'.repeat(Math.round((c / max) * width)).padEnd(width)} ${c}`,
    )
    .join('\n');
}

/**
 * Small SVG line charts for the study (no plotting library: a few panels of lines with interval
 * bars, written as text so the figures diff and render on GitHub).
 */

export interface SeriesPoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

export interface Series {
  name: string;
  points: SeriesPoint[];
  dashed?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
}

export interface FigureOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Tick positions and their labels (default: five even ticks). */
  xTicks?: { at: number; label: string }[];
  /** Horizontal reference line (e.g. 0 for differences). */
  yRule?: number;
  /** Vertical reference line (e.g. mu = 0). */
  xRule?: number;
}

const COLORS = [
  '#222222',
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#17becf',
  '#e377c2',
];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (x: number) => (Math.round(x * 10) / 10).toString();

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step)
    ticks.push(Math.round(t / step) * step);
  return ticks;
}

/** Panels side by side (up to `columns` a row), a shared legend under them. */
export function panelsSvg(panels: readonly Panel[], options: FigureOptions, columns = 2): string {
  const pw = 380;
  const ph = 250;
  const pad = { l: 56, r: 16, t: 30, b: 42 };
  const rows = Math.ceil(panels.length / columns);
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const legendRows = Math.ceil(names.length / 3);
  const W = columns * pw;
  const H = 34 + rows * ph + 20 + legendRows * 18;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" role="img">`,
    `<title>${esc(options.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const ox = (p % columns) * pw;
    const oy = 34 + Math.floor(p / columns) * ph;
    const pts = panel.series.flatMap((s) => s.points);
    const xs = [...pts.map((q) => q.x), ...(options.xTicks?.map((t) => t.at) ?? [])];
    const ys = pts.flatMap((q) => [q.y, q.lo ?? q.y, q.hi ?? q.y]).filter(Number.isFinite);
    if (options.yRule !== undefined) ys.push(options.yRule);
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
    if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
    const margin = (y1 - y0) * 0.06;
    y0 -= margin;
    y1 += margin;
    const X = (x: number) => ox + pad.l + ((x - x0) / (x1 - x0)) * (pw - pad.l - pad.r);
    const Y = (y: number) => oy + ph - pad.b - ((y - y0) / (y1 - y0)) * (ph - pad.t - pad.b);
    parts.push(
      `<text x="${ox + pw / 2}" y="${oy + 16}" text-anchor="middle" font-weight="bold">${esc(panel.title)}</text>`,
      `<rect x="${ox + pad.l}" y="${oy + pad.t}" width="${pw - pad.l - pad.r}" height="${ph - pad.t - pad.b}" fill="none" stroke="#999"/>`,
    );
    for (const t of niceTicks(y0, y1))
      parts.push(
        `<line x1="${ox + pad.l}" x2="${ox + pw - pad.r}" y1="${n(Y(t))}" y2="${n(Y(t))}" stroke="#eee"/>`,
        `<text x="${ox + pad.l - 4}" y="${n(Y(t) + 4)}" text-anchor="end">${n(t)}</text>`,
      );
    const xTicks = options.xTicks ?? niceTicks(x0, x1).map((t) => ({ at: t, label: n(t) }));
    for (const t of xTicks)
      parts.push(
        `<text x="${n(X(t.at))}" y="${oy + ph - pad.b + 14}" text-anchor="middle">${esc(t.label)}</text>`,
      );
    parts.push(
      `<text x="${ox + pw / 2}" y="${oy + ph - 8}" text-anchor="middle">${esc(options.xLabel)}</text>`,
      `<text transform="translate(${ox + 14},${oy + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`,
    );
    if (options.yRule !== undefined)
      parts.push(
        `<line x1="${ox + pad.l}" x2="${ox + pw - pad.r}" y1="${n(Y(options.yRule))}" y2="${n(Y(options.yRule))}" stroke="#888" stroke-dasharray="2,2"/>`,
      );
    if (options.xRule !== undefined)
      parts.push(
        `<line x1="${n(X(options.xRule))}" x2="${n(X(options.xRule))}" y1="${oy + pad.t}" y2="${oy + ph - pad.b}" stroke="#888" stroke-dasharray="2,2"/>`,
      );
    for (const s of panel.series) {
      const color = COLORS[names.indexOf(s.name) % COLORS.length]!;
      const sorted = [...s.points].filter((q) => Number.isFinite(q.y)).sort((a, b) => a.x - b.x);
      if (sorted.length > 1)
        parts.push(
          `<polyline fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,3"' : ''} points="${sorted.map((q) => `${n(X(q.x))},${n(Y(q.y))}`).join(' ')}"/>`,
        );
      for (const q of sorted) {
        parts.push(`<circle cx="${n(X(q.x))}" cy="${n(Y(q.y))}" r="2.5" fill="${color}"/>`);
        if (q.lo !== undefined && q.hi !== undefined)
          parts.push(
            `<line x1="${n(X(q.x))}" x2="${n(X(q.x))}" y1="${n(Y(q.lo))}" y2="${n(Y(q.hi))}" stroke="${color}" stroke-opacity="0.6"/>`,
          );
      }
    }
  });
  const ly = 34 + rows * ph + 8;
  names.forEach((name, k) => {
    const x = 20 + (k % 3) * (W / 3);
    const y = ly + Math.floor(k / 3) * 18;
    parts.push(
      `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${COLORS[k % COLORS.length]}" stroke-width="2"/>`,
      `<text x="${x + 28}" y="${y + 4}">${esc(name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

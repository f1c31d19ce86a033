// The demo page: three generations (base model, PEFT alone, PEFT + SVDecode) streamed side by side
// over server-sent events; clicking a steered token shows its top tokens before and after steering.
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const steps = []; // events of the steered generation, by step

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Horizontal bars: one row per token, before (grey) and after (blue) steering. */
function drawTop(event) {
  const svg = $('top-chart');
  svg.replaceChildren(svgEl('title', {}, 'top tokens before and after steering'));
  $('step-title').textContent =
    `Top tokens at step ${event.step + 1} (${JSON.stringify(event.text)}): before / after steering`;
  const before = new Map(event.top.before.map((t) => [t.token, t]));
  const after = new Map(event.top.after.map((t) => [t.token, t]));
  const tokens = [...new Set([...after.keys(), ...before.keys()])].slice(0, 8);
  const width = svg.clientWidth || 480;
  tokens.forEach((id, i) => {
    const label = (after.get(id) ?? before.get(id)).text;
    const y = 8 + i * 26;
    svg.append(svgEl('text', { x: 0, y: y + 14 }, JSON.stringify(label).slice(0, 14)));
    const b = before.get(id)?.prob ?? 0;
    const a = after.get(id)?.prob ?? 0;
    svg.append(
      svgEl('rect', {
        x: 110,
        y,
        width: Math.max(1, b * (width - 170)),
        height: 10,
        fill: '#9aa3b5',
        class: 'bar-before',
      }),
    );
    svg.append(
      svgEl('rect', {
        x: 110,
        y: y + 11,
        width: Math.max(1, a * (width - 170)),
        height: 10,
        fill: '#3b6fd8',
        class: 'bar-after',
      }),
    );
    svg.append(
      svgEl('text', { x: width - 55, y: y + 14 }, `${(100 * b).toFixed(0)}→${(100 * a).toFixed(0)}%`),
    );
  });
}

function drawHistogram(steering) {
  const svg = $('histogram');
  svg.replaceChildren(svgEl('title', {}, 'histogram of per-token mu*'));
  if (!steering) {
    svg.append(svgEl('text', { x: 10, y: 20 }, 'no steering file loaded'));
    return;
  }
  const { edges, counts } = steering.histogram;
  const width = svg.clientWidth || 480;
  const max = Math.max(1, ...counts);
  const barWidth = (width - 20) / Math.max(1, counts.length);
  counts.forEach((c, i) => {
    const h = (c / max) * 170;
    svg.append(
      svgEl('rect', {
        x: 10 + i * barWidth,
        y: 180 - h,
        width: barWidth - 2,
        height: h,
        fill: '#3b6fd8',
        class: 'hist-bar',
      }),
    );
  });
  svg.append(svgEl('text', { x: 10, y: 198 }, edges[0]?.toPrecision(3) ?? ''));
  svg.append(svgEl('text', { x: width - 60, y: 198 }, edges.at(-1)?.toPrecision(3) ?? ''));
  svg.append(
    svgEl(
      'text',
      { x: 10, y: 214 },
      `mu_bar = ${steering.muBar.toPrecision(4)} (${steering.aggregate}) from ${steering.count} tokens`,
    ),
  );
  $('decision').textContent = steering.decision
    ? `mu_bar = ${steering.decision.mu.toPrecision(4)}: ${steering.decision.guarded ? 'guarded' : 'guard off'} ${steering.decision.aggregate} (fitted ${steering.decision.raw.toPrecision(4)}): ${steering.decision.reason}`
    : 'mu_bar as fitted (this steering file predates the strength guard)';
}

/** POSTs a generation and calls onEvent for every server-sent event. */
async function stream(body, onEvent) {
  const response = await fetch('/v1/generate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const error = await response.json().catch(() => ({ error: { message: response.statusText } }));
    onEvent('error', error.error);
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name && data) onEvent(name, JSON.parse(data));
      end = buffer.indexOf('\n\n');
    }
  }
}

/** target: 'base' (the model before the adapter), 'plain' (PEFT alone) or 'steered' (PEFT + SVDecode). */
function run(target, steer) {
  const out = $(target);
  const status = $(`${target}-status`);
  out.replaceChildren();
  status.textContent = 'generating…';
  const mu = $('mu').value === '' ? undefined : Number($('mu').value);
  const body = {
    prompt: $('prompt').value,
    ...(target === 'base' ? { model: 'base' } : {}),
    steer,
    strategy: $('strategy').value,
    max_new_tokens: Number($('max').value),
    top_tokens: 8,
    ...(steer ? { alpha: Number($('alpha').value), ...(mu === undefined ? {} : { mu }) } : {}),
  };
  return stream(body, (name, data) => {
    if (name === 'token') {
      const span = document.createElement('span');
      span.textContent = data.text;
      span.dataset.step = data.step;
      out.append(span);
      if (steer) {
        steps[data.step] = data;
        span.addEventListener('click', () => {
          for (const s of out.querySelectorAll('span')) s.classList.toggle('selected', s === span);
          drawTop(data);
        });
        if (data.step === 0) drawTop(data);
      }
    } else if (name === 'done') {
      status.textContent = `${data.tokens} tokens, ${data.finishReason}${data.mu === null ? '' : `, mu ${data.mu.toPrecision(4)}`}`;
      out.dataset.done = 'true';
    } else if (name === 'error') {
      status.textContent = `error: ${data.message}`;
    }
  });
}

async function main() {
  const info = await (await fetch('/v1/info')).json();
  $('setup').textContent =
    `model ${info.model} · adapter ${info.adapter} · ${info.backend}${info.steering ? ` · mu_bar ${info.steering.muBar.toPrecision(4)}` : ''}`;
  if (info.defaults) {
    $('prompt').value = info.defaults.prompt;
    if (info.defaults.note) $('regime').textContent = info.defaults.note;
  }
  if (info.steering) {
    $('mu').value = info.steering.muBar;
    $('alpha').value = info.steering.alpha;
  }
  drawHistogram(info.steering);
  $('go').addEventListener('click', async () => {
    $('go').disabled = true;
    steps.length = 0;
    try {
      await Promise.all([run('base', false), run('plain', false), run('steered', true)]);
    } finally {
      $('go').disabled = false;
    }
  });
}

main();

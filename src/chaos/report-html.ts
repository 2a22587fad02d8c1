/**
 * @module chaos/report-html
 * Renders a chaos run as ONE self-contained HTML file (inline CSS and SVG, no scripts, no
 * external assets): the text summary, a timeline with one row per client (each operation a
 * bar from invocation to completion, green ok, red fail, grey unknown extending to the end
 * of the run) under vertical bands for the faults, a section per checker, and for a
 * linearizability anomaly its minimal sub-history as its own small timeline.
 *
 * Scale: up to `DETAILED_OPERATIONS_MAX` operations each bar is its own element with a
 * tooltip; beyond that the bars of one client and outcome are ONE SVG path, so 20,000
 * operations stay a few hundred elements. Rows beyond `CLIENT_ROWS_MAX` clients, faults
 * beyond `FAULT_BANDS_MAX` and table rows beyond `TABLE_ROWS_MAX` are left out and counted.
 *
 * Contract: pure; every piece of recorded text goes through `escapeHtml`.
 */
import type { Anomaly, LinearizabilityResult } from './linearizability.js';
import { describeOperation, formatSeconds } from './linearizability.js';
import type { FaultRecord, Operation, Outcome } from './history.js';
import { runEndMs, summarize } from './summary.js';
import type { SummaryRun, SummaryVerdicts } from './summary.js';
import type { WatchCheckResult } from './watch-checker.js';
import { assert } from '../util/assert.js';

/** Operations drawn as individual bars with tooltips; above it, one path per row/outcome. */
export const DETAILED_OPERATIONS_MAX = 2000;
/** Client rows drawn at most. */
export const CLIENT_ROWS_MAX = 300;
/** Fault bands drawn at most. */
export const FAULT_BANDS_MAX = 300;
/** Rows of a table at most. */
export const TABLE_ROWS_MAX = 200;

const PLOT_WIDTH_PX = 1100;
const GUTTER_PX = 90;
const ROW_HEIGHT_PX = 12;
const BAR_HEIGHT_PX = 8;
const HEADER_PX = 40;
const COLORS: Record<Outcome, string> = { ok: '#2e9b4f', fail: '#d23c3c', unknown: '#9a9a9a' };

const STYLE = `body{font:13px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
pre{background:#f6f6f6;padding:10px;overflow:auto}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}.ok{color:#2e9b4f}
.violation{color:#d23c3c;font-weight:bold}.unknown{color:#b07c00}svg{display:block}
.scroll{overflow:auto;max-height:80vh;border:1px solid #eee}`;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** TimeScale maps run milliseconds to x pixels. */
interface TimeScale {
  readonly startMs: number;
  readonly endMs: number;
  x(timeMs: number): number;
}

function timeScale(startMs: number, endMs: number): TimeScale {
  const spanMs = Math.max(1, endMs - startMs);
  return { startMs, endMs,
    x: (timeMs) => round(GUTTER_PX + ((timeMs - startMs) / spanMs) * PLOT_WIDTH_PX) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Returns a bar's [x, width] on the scale; unknown outcomes run to the end. */
function barSpan(op: Operation, scale: TimeScale): readonly [number, number] {
  const x0 = scale.x(op.invokeMs);
  const x1 = scale.x(op.completeMs ?? scale.endMs);
  return [x0, Math.max(1, round(x1 - x0))];
}

function axis(scale: TimeScale, heightPx: number): string {
  const parts: string[] = [];
  const ticks = 10;
  for (let tick = 0; tick <= ticks; tick++) {
    const timeMs = scale.startMs + ((scale.endMs - scale.startMs) * tick) / ticks;
    const x = scale.x(timeMs);
    parts.push(`<line x1="${x}" y1="${HEADER_PX - 4}" x2="${x}" y2="${heightPx}" ` +
      'stroke="#eee"/>', `<text x="${x}" y="${HEADER_PX - 8}" font-size="10" ` +
      `text-anchor="middle">${escapeHtml(formatSeconds(timeMs))}</text>`);
  }
  return parts.join('');
}

function faultBands(faults: readonly FaultRecord[], scale: TimeScale, heightPx: number):
  string {
  const parts: string[] = [];
  faults.slice(0, FAULT_BANDS_MAX).forEach((fault, index) => {
    const x = scale.x(fault.startMs);
    const width = Math.max(1, round(scale.x(fault.endMs ?? scale.endMs) - x));
    const label = `${fault.kind} ${fault.target}`;
    const title = `${label} from ${formatSeconds(fault.startMs)}` +
      (fault.endMs === null ? ' (never healed)' : ` to ${formatSeconds(fault.endMs)}`) +
      (fault.detail === undefined ? '' : `: ${fault.detail}`);
    parts.push(`<g><title>${escapeHtml(title)}</title><rect x="${x}" y="${HEADER_PX}" ` +
      `width="${width}" height="${heightPx - HEADER_PX}" fill="#f5a623" opacity="0.15"/>` +
      `<text x="${x + 2}" y="${10 + (index % 3) * 10}" font-size="9" fill="#a0620a">` +
      `${escapeHtml(label)}</text></g>`);
  });
  return parts.join('');
}

/** Draws the bars of one row, detailed (one element each) or as one path per outcome. */
function rowBars(ops: readonly Operation[], y: number, scale: TimeScale, detailed: boolean):
  string {
  if (detailed) {
    return ops.map((op) => {
      const [x, width] = barSpan(op, scale);
      return `<rect x="${x}" y="${y}" width="${width}" height="${BAR_HEIGHT_PX}" ` +
        `fill="${COLORS[op.outcome]}" opacity="${op.outcome === 'unknown' ? 0.35 : 0.9}">` +
        `<title>${escapeHtml(describeOperation(op))}</title></rect>`;
    }).join('');
  }
  const paths: string[] = [];
  for (const outcome of ['unknown', 'fail', 'ok'] as const) {
    const d = ops.filter((op) => op.outcome === outcome).map((op) => {
      const [x, width] = barSpan(op, scale);
      return `M${x} ${y}h${width}v${BAR_HEIGHT_PX}h${-width}z`;
    }).join('');
    if (d === '') continue;
    paths.push(`<path d="${d}" fill="${COLORS[outcome]}" ` +
      `opacity="${outcome === 'unknown' ? 0.35 : 0.9}"/>`);
  }
  return paths.join('');
}

/** Renders a timeline of operations, one row per client (or per operation). */
function timelineSvg(options: {
  operations: readonly Operation[]; faults: readonly FaultRecord[]; scale: TimeScale;
  rowPerOperation: boolean;
}): string {
  const { operations, scale } = options;
  const rows = new Map<string, Operation[]>();
  const sorted = [...operations].sort((a, b) => a.client - b.client || a.invokeMs - b.invokeMs);
  for (const op of sorted) {
    const label = options.rowPerOperation ? `op ${op.id}` : `client ${op.client}`;
    const row = rows.get(label) ?? [];
    row.push(op);
    rows.set(label, row);
  }
  const labels = [...rows.keys()].slice(0, CLIENT_ROWS_MAX);
  const heightPx = HEADER_PX + labels.length * ROW_HEIGHT_PX + 6;
  const detailed = operations.length <= DETAILED_OPERATIONS_MAX;
  const body = labels.map((label, index) => {
    const y = HEADER_PX + index * ROW_HEIGHT_PX + 2;
    return `<text x="4" y="${y + BAR_HEIGHT_PX}" font-size="10">${escapeHtml(label)}</text>` +
      rowBars(rows.get(label)!, y, scale, detailed);
  }).join('');
  const hidden = rows.size - labels.length;
  const note = hidden > 0 ? `<p>${hidden} more rows not drawn.</p>` : '';
  return `<div class="scroll"><svg xmlns="http://www.w3.org/2000/svg" ` +
    `width="${GUTTER_PX + PLOT_WIDTH_PX + 20}" height="${heightPx}">` +
    `${axis(scale, heightPx)}${faultBands(options.faults, scale, heightPx)}${body}</svg>` +
    `</div>${note}`;
}

function verdictSpan(verdict: string): string {
  return `<span class="${escapeHtml(verdict)}">${escapeHtml(verdict.toUpperCase())}</span>`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows.slice(0, TABLE_ROWS_MAX).map((row) =>
    `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('');
  const rest = rows.length - TABLE_ROWS_MAX;
  return `<table><tr>${head}</tr>${body}</table>` +
    (rest > 0 ? `<p>${rest} more rows not shown.</p>` : '');
}

function anomalySection(anomaly: Anomaly): string {
  const ops = anomaly.minimalHistory;
  assert(ops.length > 0, 'an anomaly has operations');
  const startMs = Math.min(...ops.map((op) => op.invokeMs));
  const endMs = Math.max(...ops.map((op) => op.completeMs ?? op.invokeMs)) + 1;
  const scale = timeScale(startMs - (endMs - startMs) * 0.05, endMs + (endMs - startMs) * 0.05);
  const items = ops.map((op) => `<li>${escapeHtml(describeOperation(op))}</li>`).join('');
  return `<h3>Anomaly on key ${escapeHtml(anomaly.key)}</h3>` +
    `<p>${escapeHtml(anomaly.explanation)}</p><ol>${items}</ol>` +
    timelineSvg({ operations: ops, faults: [], scale, rowPerOperation: true }) +
    `<p>Minimized with ${anomaly.checks} checker runs.</p>`;
}

function linearizabilitySection(result: LinearizabilityResult): string {
  const rank = { violation: 0, unknown: 1, ok: 2 } as const;
  const keys = [...result.keys].sort((a, b) => rank[a.verdict] - rank[b.verdict]);
  const rows = keys.map((key) => [escapeHtml(key.key), verdictSpan(key.verdict),
    String(key.steps), String(key.operations), String(key.dropped),
    escapeHtml(key.budget ?? '')]);
  return `<h2>Linearizability: ${verdictSpan(result.verdict)}</h2>` +
    table(['key', 'verdict', 'steps', 'operations', 'dropped', 'budget hit'], rows) +
    (result.anomaly === undefined ? '' : anomalySection(result.anomaly));
}

function watchSection(result: WatchCheckResult): string {
  const rows = result.guarantees.map((g) => [escapeHtml(g.guarantee), verdictSpan(g.verdict),
    String(g.violations),
    `<ul>${g.examples.map((e) => `<li>${escapeHtml(e.message)}</li>`).join('')}</ul>`]);
  return `<h2>Watch guarantees: ${verdictSpan(result.verdict)}</h2>` +
    `<p>${result.watchers} watchers, ${result.sessions} sessions, ${result.events} events, ` +
    `${result.referenceRevisions} reference revisions.</p>` +
    table(['guarantee', 'verdict', 'violations', 'examples'], rows);
}

function otherSections(verdicts: SummaryVerdicts): string {
  const parts: string[] = [];
  if (verdicts.agreement !== undefined) {
    parts.push(`<h2>Agreement: ${verdictSpan(verdicts.agreement.verdict)}</h2>` +
      `<p>${escapeHtml(verdicts.agreement.detail)}</p>`);
  }
  const durability = verdicts.durability;
  if (durability !== undefined) {
    const rows = durability.divergent.map((entry) => [escapeHtml(entry.key),
      escapeHtml(entry.values.map((v) => `${v.peer}=${String(v.value)}`).join(', '))]);
    parts.push(`<h2>Durability: ${verdictSpan(durability.verdict)}</h2>` +
      `<p>${durability.finalReads} final reads appended; linearizability with them: ` +
      `${verdictSpan(durability.linearizability.verdict)}.</p>` +
      (rows.length > 0 ? table(['divergent key', 'values'], rows) : ''));
  }
  return parts.join('');
}

/** Renders the whole report (see the module comment). */
export function renderReport(run: SummaryRun, verdicts: SummaryVerdicts): string {
  const history = run.history;
  const scale = timeScale(0, runEndMs(run));
  const legend = Object.entries(COLORS).map(([outcome, color]) =>
    `<span style="color:${color}">&#9632; ${outcome}</span>`).join(' ') +
    ' <span style="color:#f5a623">&#9632; fault</span>';
  const sections = [
    `<h1>Coracle chaos run, seed ${history.seed}</h1>`,
    `<h2>Summary</h2><pre>${escapeHtml(summarize(run, verdicts))}</pre>`,
    `<h2>Timeline</h2><p>${legend}. Unknown outcomes extend to the end of the run.</p>`,
    timelineSvg({ operations: history.operations, faults: history.faults, scale,
      rowPerOperation: false }),
    verdicts.linearizability === undefined ? ''
      : linearizabilitySection(verdicts.linearizability),
    verdicts.watches === undefined ? '' : watchSection(verdicts.watches),
    otherSections(verdicts),
  ];
  return '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    `<title>Coracle chaos report, seed ${history.seed}</title><style>${STYLE}</style>` +
    `</head><body>${sections.join('\n')}</body></html>\n`;
}

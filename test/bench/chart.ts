// The chart of `npm run bench -- --write` (docs/benchmarks-peers.png): an SVG drawn here by hand — no
// charting library — and rendered to PNG with @resvg/resvg-js, with the DejaVu Sans font from the
// dejavu-fonts-ttf package and no system fonts, so the image is the same on every machine.
// Left panel: lines per second of each tool on the same files, grouped by language (wall clock of a
// separate process, start-up included). Right panel: the language server's didChange → diagnostics
// latency, p50 and p95 per file size, with the 50 ms target.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { LatencyRow } from './lsp-latency';
import { linesPerSecond, type ToolRow } from './peers';

const ROOT = path.join(__dirname, '..', '..');
const FONT = path.join(ROOT, 'node_modules', 'dejavu-fonts-ttf', 'ttf', 'DejaVuSans.ttf');

const COLOURS = { loopguard: '#2f6fd6', peer: '#e08a2c', parse: '#a8adb5', p50: '#2f6fd6', p95: '#9dbcf0', target: '#c23b3b', text: '#1f2328', grid: '#e4e6ea' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, s: string, opts: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: 'bold'; fill?: string } = {}): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${opts.size ?? 12}" text-anchor="${opts.anchor ?? 'start'}"${opts.weight ? ` font-weight="${opts.weight}"` : ''} fill="${opts.fill ?? COLOURS.text}">${esc(s)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}"/>`;
}

/** A round axis maximum and its tick step for values up to `max`. */
function niceScale(max: number, ticks = 5): { top: number; step: number } {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

function kFormat(n: number): string {
  return n >= 1000 ? `${Math.round(n / 1000)}k` : `${Math.round(n)}`;
}

/** Horizontal bars of lines/s per tool, one group per language. Returns the SVG fragment and its height. */
function throughputPanel(rows: readonly ToolRow[], x0: number, y0: number, width: number): { svg: string; height: number } {
  const labelW = 250;
  const barH = 18;
  const gap = 6;
  const plotX = x0 + labelW;
  const plotW = width - labelW - 60;
  // a log scale: a native linter is tens of times faster than the rest, and a linear axis makes the others' bars
  // too short to compare
  const values = rows.map(linesPerSecond);
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const scale = (v: number) => ((Math.log10(Math.max(v, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * plotW;
  const out: string[] = [text(x0, y0, 'Lines per second on the same files (higher is better; log scale)', { size: 15, weight: 'bold' })];
  let y = y0 + 18;
  const languages = [...new Set(rows.map((r) => r.language))];
  const plotTop = y;
  const body: string[] = [];
  for (const language of languages) {
    const group = rows.filter((r) => r.language === language);
    const lines = group[0].lines;
    body.push(text(x0, y + 14, `${language} — ${group[0].files.toLocaleString('en')} files, ${lines.toLocaleString('en')} lines`, { size: 12, weight: 'bold' }));
    y += 22;
    for (const r of group) {
      const v = linesPerSecond(r);
      body.push(text(plotX - 8, y + barH - 5, r.tool, { size: 11, anchor: 'end' }));
      body.push(rect(plotX, y, scale(v), barH, COLOURS[r.kind]));
      body.push(text(plotX + scale(v) + 5, y + barH - 5, kFormat(v), { size: 11 }));
      y += barH + gap;
    }
    y += 8;
  }
  // grid first so the bars draw over it
  for (let e = lo; e <= hi; e++) {
    for (const m of e < hi ? [1, 2, 5] : [1]) {
      const t = m * 10 ** e;
      const gx = plotX + scale(t);
      out.push(`<line x1="${gx.toFixed(1)}" y1="${plotTop}" x2="${gx.toFixed(1)}" y2="${y}" stroke="${COLOURS.grid}" stroke-width="${m === 1 ? 1.2 : 0.6}"/>`);
      out.push(text(gx, y + 14, t >= 1e6 ? `${t / 1e6}M` : kFormat(t), { size: 10, anchor: 'middle' }));
    }
  }
  out.push(...body);
  const legendY = y + 34;
  let lx = plotX;
  for (const [kind, label] of [
    ['loopguard', 'Loopguard CLI (all rules)'],
    ['peer', 'peer linter'],
    ['parse', 'parse only'],
  ] as const) {
    out.push(rect(lx, legendY - 10, 12, 12, COLOURS[kind]));
    out.push(text(lx + 17, legendY, label, { size: 11 }));
    lx += 30 + label.length * 6.5;
  }
  return { svg: out.join('\n'), height: legendY + 10 - y0 };
}

/** Vertical bars of p50 and p95 latency per file size, one group per language, the target as a line. */
function latencyPanel(rows: readonly LatencyRow[], x0: number, y0: number, width: number, height: number): string {
  const out: string[] = [text(x0, y0, 'Language server: edit → diagnostics (lower is better)', { size: 15, weight: 'bold' })];
  const plotX = x0 + 50;
  const plotTop = y0 + 30;
  const plotH = height - 110;
  const plotW = width - 60;
  const { top, step } = niceScale(Math.max(60, ...rows.map((r) => r.p95)));
  const sy = (v: number) => plotTop + plotH - (v / top) * plotH;
  for (let t = 0; t <= top + 1e-9; t += step) {
    out.push(`<line x1="${plotX}" y1="${sy(t).toFixed(1)}" x2="${plotX + plotW}" y2="${sy(t).toFixed(1)}" stroke="${COLOURS.grid}" stroke-width="1"/>`);
    out.push(text(plotX - 6, sy(t) + 4, `${Math.round(t)} ms`, { size: 10, anchor: 'end' }));
  }
  const languages = [...new Set(rows.map((r) => r.language))];
  const slots = rows.length + languages.length - 1;
  const slotW = plotW / Math.max(1, slots);
  const barW = Math.min(26, slotW / 2.8);
  let slot = 0;
  for (const language of languages) {
    const group = rows.filter((r) => r.language === language);
    const groupStart = slot;
    for (const r of group) {
      const cx = plotX + slotW * (slot + 0.5);
      out.push(rect(cx - barW, sy(r.p50), barW, sy(0) - sy(r.p50), COLOURS.p50));
      out.push(rect(cx, sy(r.p95), barW, sy(0) - sy(r.p95), COLOURS.p95));
      out.push(text(cx - barW / 2, sy(r.p50) - 4, `${Math.round(r.p50)}`, { size: 10, anchor: 'middle' }));
      out.push(text(cx + barW / 2, sy(r.p95) - 4, `${Math.round(r.p95)}`, { size: 10, anchor: 'middle' }));
      // ≈: real files concatenated to reach the size
      out.push(text(cx, sy(0) + 15, `${r.concatenated ? '≈' : ''}${(r.lines / 1000).toFixed(r.lines < 10_000 ? 1 : 0)}k`, { size: 11, anchor: 'middle' }));
      slot++;
    }
    const mid = plotX + slotW * ((groupStart + slot) / 2);
    out.push(text(mid, sy(0) + 32, `${language} (lines)`, { size: 12, anchor: 'middle', weight: 'bold' }));
    slot++;
  }
  out.push(`<line x1="${plotX}" y1="${sy(50).toFixed(1)}" x2="${plotX + plotW}" y2="${sy(50).toFixed(1)}" stroke="${COLOURS.target}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  const legendY = plotTop + plotH + 58;
  out.push(rect(plotX, legendY - 10, 12, 12, COLOURS.p50));
  out.push(text(plotX + 17, legendY, 'p50', { size: 11 }));
  out.push(rect(plotX + 60, legendY - 10, 12, 12, COLOURS.p95));
  out.push(text(plotX + 77, legendY, 'p95', { size: 11 }));
  out.push(`<line x1="${plotX + 112}" y1="${legendY - 4}" x2="${plotX + 136}" y2="${legendY - 4}" stroke="${COLOURS.target}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push(text(plotX + 141, legendY, 'target p95 < 50 ms (5k lines)', { size: 11 }));
  out.push(text(plotX, legendY + 18, "the server's 175 ms debounce is excluded", { size: 11 }));
  return out.join('\n');
}

export function chartSvg(peers: readonly ToolRow[], latency: readonly LatencyRow[], caption: string): string {
  const width = 1200;
  const leftW = latency.length ? 680 : width - 40;
  const left = peers.length ? throughputPanel(peers, 20, 34, leftW) : { svg: '', height: 0 };
  const height = Math.max(left.height, latency.length ? 380 : 0) + 70;
  const right = latency.length ? latencyPanel(latency, peers.length ? 740 : 20, 34, peers.length ? 440 : width - 40, height - 40) : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    left.svg,
    right,
    text(20, height - 12, caption, { size: 10, fill: '#57606a' }),
    '</svg>',
  ].join('\n');
}

/** Renders the chart to `file` (PNG at 1.5× the SVG's size) and returns the SVG. */
export function writeChart(file: string, peers: readonly ToolRow[], latency: readonly LatencyRow[], caption: string): string {
  const svg = chartSvg(peers, latency, caption);
  const png = new Resvg(svg, {
    font: { fontFiles: [FONT], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: 1.5 },
    background: '#ffffff',
  })
    .render()
    .asPng();
  fs.writeFileSync(file, png);
  return svg;
}

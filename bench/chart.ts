import { Resvg } from '@resvg/resvg-js';
import type { StrategyResult } from './results.js';

/**
 * The chart a person looks at first, two panels by two: what users got (sessions dropped, sessions
 * refused) above what it cost (Step Functions, surge capacity), one bar per strategy in each.
 */

export interface Bar {
  label: string;
  value: number;
  text: string;
  color: string;
}

const WIDTH = 1260;
/** One row of panels: title, subtitle and five bars. */
const ROW_HEIGHT = 345;
const HEIGHT = 2 * ROW_HEIGHT + 45;
const FONT = 'DejaVu Sans';
const COLORS: Record<StrategyResult['strategy']['waits'], string> = { none: '#d1603d', polling: '#e0a526', event: '#2a8c82' };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One horizontal bar panel; bars scale to the largest value (all zero: no bars, only the labels). */
export function barPanel(x: number, y: number, width: number, title: string, subtitle: string, bars: readonly Bar[]): string {
  const labelWidth = 175;
  const barArea = width - labelWidth - 70;
  const top = y + 62;
  const rowHeight = 52;
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const parts = [
    `<text x="${x}" y="${y + 20}" font-size="19" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
    `<text x="${x}" y="${y + 43}" font-size="13" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  bars.forEach((bar, index) => {
    const rowY = top + index * rowHeight;
    const length = max === 0 ? 0 : Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * barArea);
    parts.push(
      `<text x="${x + labelWidth - 10}" y="${rowY + 22}" font-size="14" fill="#222" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${x + labelWidth}" y="${rowY + 6}" width="${length.toFixed(1)}" height="24" rx="3" fill="${bar.color}"/>`,
      `<text x="${x + labelWidth + length + 8}" y="${rowY + 23}" font-size="14" font-weight="bold" fill="#222">${escapeXml(bar.text)}</text>`,
    );
  });
  return parts.join('\n');
}

export function chartSvg(results: readonly StrategyResult[], footnote: string): string {
  const panelWidth = WIDTH / 2 - 20;
  const color = (result: StrategyResult) => COLORS[result.strategy.waits];
  const label = (result: StrategyResult) => result.strategy.short;
  const dropped = results.map((result) => ({ label: label(result), value: result.outcome.dropped, text: `${result.outcome.dropped} (${(result.outcome.droppedShare * 100).toFixed(0)}%)`, color: color(result) }));
  const cost = results.map((result) => {
    const value = result.strategy.waits === 'none' ? 0 : (result.costPerDrainUsd ?? 0) * 1000;
    return { label: label(result), value, text: result.strategy.waits === 'none' ? 'none' : `$${value.toFixed(2)}`, color: color(result) };
  });
  const refused = results.map((result) => {
    // A latest.json from before the metric has no refusals: no bar, "n/a".
    const value = result.outcome.refused;
    return { label: label(result), value: value ?? 0, text: value === undefined ? 'n/a' : String(value), color: color(result) };
  });
  const surge = results.map((result) => ({ label: label(result), value: result.surgeTaskHours, text: result.surgeTaskHours.toFixed(1), color: color(result) }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    barPanel(20, 15, panelWidth, 'Sessions dropped', 'count (% of the sessions on the replaced tasks)', dropped),
    barPanel(20 + WIDTH / 2, 15, panelWidth, 'Sessions refused', 'users who arrived and no task would take', refused),
    barPanel(20, 15 + ROW_HEIGHT, panelWidth, 'Step Functions cost', 'USD per 1,000 drains, list price', cost),
    barPanel(20 + WIDTH / 2, 15 + ROW_HEIGHT, panelWidth, 'Surge capacity', 'extra task-hours during the deployment', surge),
    `<text x="20" y="${HEIGHT - 14}" font-size="12" fill="#666">${escapeXml(footnote)}</text>`,
    '</svg>',
  ].join('\n');
}

export function renderPng(svg: string): Buffer {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: FONT }, fitTo: { mode: 'width', value: WIDTH } });
  return resvg.render().asPng();
}

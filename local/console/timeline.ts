/**
 * The demo's closing picture: one row per drain, what ran when. Each row shows its task's life
 * (running, then asked to stop, then stopped) under the drain workflow's states, on one time axis
 * in scenario time. Pure: rows in, an SVG document out (drain-timeline.ts reads the rows from a
 * rehearsal and writes the file).
 */

export interface TimelineVisit {
  state: string;
  /** Real epoch milliseconds. */
  start: number;
  /** Absent: still in the state when the picture was taken. */
  end?: number;
  /** failed: the state failed; caught: it failed and a Catch moved the drain on (a deadline, a lost heartbeat). */
  ended?: 'failed' | 'caught';
}

export interface TimelineRow {
  /** "1a2b3c4d": the task's short id. */
  task: string;
  reason?: string;
  /** DRAINED, DEADLINE_FORCED, ...; or the execution's status while it runs. */
  outcome: string;
  /** Real epoch milliseconds of the task's life, as far as known. */
  taskStarted?: number;
  stopRequested?: number;
  taskStopped?: number;
  sessionsAtStart?: number;
  visits: TimelineVisit[];
}

export interface Timeline {
  title: string;
  /** Real epoch milliseconds: the axis' zero and its end. */
  origin: number;
  end: number;
  /** Real seconds per scenario second: the axis is labelled in scenario time. */
  scale: number;
  rows: TimelineRow[];
}

const WIDTH = 1200;
const LABEL_WIDTH = 290;
const RIGHT = 30;
const TOP = 78;
const ROW_HEIGHT = 40;
const FONT = 'DejaVu Sans, sans-serif';

/** Colours of the states a drain spends its time in; every other state is drawn as "other steps". */
export const STATE_COLOURS: ReadonlyArray<[string, string]> = [
  ['Record drain', '#7d8998'],
  ['Launch replacement', '#8e6cc0'],
  ['Mark task draining', '#5b9bd5'],
  ['Wait for sessions to drain', '#e0a526'],
  ['Release protection and stop task', '#2a8c82'],
];
const OTHER_COLOUR = '#b4bcc6';
const FAILED_COLOUR = '#d13212';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function colourOf(visit: TimelineVisit): string {
  if (visit.ended === 'failed') return FAILED_COLOUR;
  return STATE_COLOURS.find(([state]) => state === visit.state)?.[1] ?? OTHER_COLOUR;
}

/** A tick step in scenario seconds that puts about eight ticks on the axis. */
export function tickStep(scenarioSeconds: number): number {
  const steps = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400];
  return steps.find((step) => scenarioSeconds / step <= 8) ?? Math.ceil(scenarioSeconds / 8 / 3600) * 3600;
}

function clock(scenarioSeconds: number): string {
  const total = Math.round(scenarioSeconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor(total / 60) % 60;
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}` : `${minutes}:${String(total % 60).padStart(2, '0')}`;
}

export function timelineSvg(timeline: Timeline): string {
  const { origin, scale, rows } = timeline;
  const end = Math.max(timeline.end, origin + 1);
  const chartWidth = WIDTH - LABEL_WIDTH - RIGHT;
  const x = (at: number) => (LABEL_WIDTH + ((Math.min(Math.max(at, origin), end) - origin) / (end - origin)) * chartWidth).toFixed(1);
  const width = (from: number, to: number) => Math.max(1, Number(x(to)) - Number(x(from))).toFixed(1);
  const height = TOP + Math.max(1, rows.length) * ROW_HEIGHT + 70;
  const scenarioSpan = (end - origin) / 1000 / scale;
  const step = tickStep(scenarioSpan);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="16" y="26" font-size="18" font-weight="bold" fill="#16191f">${escapeXml(timeline.title)}</text>`,
    `<text x="16" y="48" font-size="12" fill="#5f6b7a">${escapeXml(`one row per drain: its task's life (thin bar: running, hatched: asked to stop) under the workflow's states; scenario time (1 s = ${+(scale * 1000).toFixed(3)} ms real)`)}</text>`,
  ];
  for (let tick = 0; tick <= scenarioSpan + 1e-9; tick += step) {
    const at = origin + tick * scale * 1000;
    parts.push(
      `<line x1="${x(at)}" y1="${TOP - 8}" x2="${x(at)}" y2="${height - 58}" stroke="#eaeded"/>`,
      `<text x="${x(at)}" y="${TOP - 12}" font-size="11" fill="#5f6b7a" text-anchor="middle">${clock(tick)}</text>`,
    );
  }
  if (rows.length === 0) parts.push(`<text x="${LABEL_WIDTH}" y="${TOP + 24}" font-size="13" fill="#5f6b7a">no drain ran</text>`);
  rows.forEach((row, index) => {
    const y = TOP + index * ROW_HEIGHT;
    const label = `task ${row.task}${row.reason ? ` · ${row.reason}` : ''}`;
    const detail = `${row.outcome}${row.sessionsAtStart === undefined ? '' : ` · ${row.sessionsAtStart} sessions at start`}`;
    parts.push(
      `<g class="drain" data-task="${escapeXml(row.task)}">`,
      `<text x="16" y="${y + 15}" font-size="13" fill="#16191f">${escapeXml(label)}</text>`,
      `<text x="16" y="${y + 30}" font-size="11" fill="#5f6b7a">${escapeXml(detail)}</text>`,
    );
    const lifeEnd = row.taskStopped ?? end;
    if (row.taskStarted !== undefined || row.stopRequested !== undefined) {
      const lifeStart = row.taskStarted ?? origin;
      parts.push(`<rect class="task-life" x="${x(lifeStart)}" y="${y + 26}" width="${width(lifeStart, lifeEnd)}" height="5" fill="#c9d1d9"/>`);
    }
    if (row.stopRequested !== undefined) {
      parts.push(`<rect class="task-stopping" x="${x(row.stopRequested)}" y="${y + 26}" width="${width(row.stopRequested, lifeEnd)}" height="5" fill="url(#stopping)"/>`);
    }
    if (row.taskStopped !== undefined) parts.push(`<line class="task-stopped" x1="${x(row.taskStopped)}" y1="${y + 22}" x2="${x(row.taskStopped)}" y2="${y + 35}" stroke="#16191f" stroke-width="2"/>`);
    for (const visit of row.visits) {
      const visitEnd = visit.end ?? end;
      parts.push(`<rect class="visit" data-state="${escapeXml(visit.state)}" x="${x(visit.start)}" y="${y + 6}" width="${width(visit.start, visitEnd)}" height="16" fill="${colourOf(visit)}"${visit.ended === 'caught' ? ` stroke="${FAILED_COLOUR}" stroke-width="2"` : ''}><title>${escapeXml(`${visit.state}: ${clock((visit.start - origin) / 1000 / scale)} to ${visit.end === undefined ? 'now' : clock((visitEnd - origin) / 1000 / scale)}${visit.ended ? ` (${visit.ended})` : ''}`)}</title></rect>`);
    }
    parts.push('</g>');
  });
  const legendY = height - 30;
  const legend: Array<[string, string]> = [...STATE_COLOURS, ['other steps', OTHER_COLOUR], ['failed (outlined: failed and caught)', FAILED_COLOUR]];
  legend.forEach(([name, colour], index) => {
    const legendX = 16 + (index % 4) * 290;
    const row = Math.floor(index / 4);
    parts.push(`<rect x="${legendX}" y="${legendY - 22 + row * 18}" width="12" height="12" fill="${colour}"/>`, `<text x="${legendX + 18}" y="${legendY - 12 + row * 18}" font-size="11" fill="#414d5c">${escapeXml(name)}</text>`);
  });
  parts.splice(1, 0, '<defs><pattern id="stopping" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#16191f"/></pattern></defs>');
  parts.push('</svg>');
  return parts.join('\n');
}

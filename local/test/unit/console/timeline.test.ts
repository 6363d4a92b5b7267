import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { type Timeline, tickStep, timelineSvg } from '../../../console/timeline.js';

/** 1 scenario second = 10 real ms: ten scenario minutes are six real seconds. */
const SCALE = 0.01;
const ORIGIN = Date.parse('2026-12-07T09:00:00Z');
const at = (scenarioSeconds: number) => ORIGIN + scenarioSeconds * SCALE * 1000;

function demoTimeline(): Timeline {
  return {
    title: 'npm run demo: every drain, what ran when',
    origin: ORIGIN,
    end: at(1200),
    scale: SCALE,
    rows: [
      {
        task: '9f803158',
        reason: 'DEPLOYMENT',
        outcome: 'DRAINED',
        sessionsAtStart: 10,
        taskStarted: at(-60),
        stopRequested: at(700),
        taskStopped: at(720),
        visits: [
          { state: 'Record drain', start: at(100), end: at(110) },
          { state: 'Wait for sessions to drain', start: at(120), end: at(680) },
          { state: 'Release protection and stop task', start: at(680), end: at(700) },
          { state: 'Drained', start: at(700), end: at(700) },
        ],
      },
      { task: 'a22a<06d3', reason: 'SCALE_IN', outcome: 'RUNNING', visits: [{ state: 'Wait for sessions to drain', start: at(900) }] },
    ],
  };
}

/** The x and width of the rects of one class, per drain row, in document order. */
function rects(svg: string, kind: string): Array<{ x: number; width: number; state?: string; fill: string }> {
  return [...svg.matchAll(new RegExp(`<rect class="${kind}"(?: data-state="([^"]*)")? x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)" height="\\d+" fill="([^"]+)"`, 'g'))].map((match) => ({
    x: Number(match[2]),
    width: Number(match[3]),
    fill: match[4] as string,
    ...(match[1] === undefined ? {} : { state: match[1] }),
  }));
}

describe('the drain timeline picture', () => {
  it('draws each state a drain visited as a bar from when it entered to when it left, on one scenario-time axis', () => {
    const svg = timelineSvg(demoTimeline());

    const visits = rects(svg, 'visit');
    expect(visits.map((visit) => visit.state)).toEqual(['Record drain', 'Wait for sessions to drain', 'Release protection and stop task', 'Drained', 'Wait for sessions to drain']);
    const [record, wait, release, drained, running] = visits as [(typeof visits)[0], (typeof visits)[0], (typeof visits)[0], (typeof visits)[0], (typeof visits)[0]];
    // 880 px of chart for 1200 scenario seconds, from x = 290.
    expect(record.x).toBeCloseTo(290 + (100 / 1200) * 880, 0);
    expect(wait.width).toBeCloseTo((560 / 1200) * 880, 0);
    expect(release.x).toBeCloseTo(wait.x + wait.width, 0);
    // A state left at once still shows (1 px); a state not left yet runs to the picture's end.
    expect(drained.width).toBe(1);
    expect(running.x + running.width).toBeCloseTo(1170, 0);
    expect(wait.fill).toBe('#e0a526');
    expect(new Set(visits.map((visit) => visit.fill)).size).toBe(4);
  });

  it("draws the task's life under its drain: running, asked to stop, stopped", () => {
    const svg = timelineSvg(demoTimeline());

    const [life] = rects(svg, 'task-life');
    const [stopping] = rects(svg, 'task-stopping');
    // Started before the axis' zero: clamped to it.
    expect(life?.x).toBe(290);
    expect(life!.x + life!.width).toBeCloseTo(290 + (720 / 1200) * 880, 0);
    expect(stopping?.x).toBeCloseTo(290 + (700 / 1200) * 880, 0);
    expect(svg.match(/class="task-stopped"/g)).toHaveLength(1);
    // The running drain's task has no known life: no bar for it.
    expect(rects(svg, 'task-life')).toHaveLength(1);
  });

  it('labels every row with its task, reason and outcome, escaping what is not XML', () => {
    const svg = timelineSvg(demoTimeline());

    expect(svg).toContain('task 9f803158 · DEPLOYMENT');
    expect(svg).toContain('DRAINED · 10 sessions at start');
    expect(svg).toContain('task a22a&lt;06d3 · SCALE_IN');
    expect(svg).not.toContain('a22a<06d3');
    // Ticks every five scenario minutes over twenty.
    expect([...svg.matchAll(/text-anchor="middle">(\d+:\d\d)</g)].map((match) => match[1])).toEqual(['0:00', '5:00', '10:00', '15:00', '20:00']);
  });

  it('is an SVG document an image library renders, with no drain as with several', () => {
    for (const timeline of [demoTimeline(), { ...demoTimeline(), rows: [] }]) {
      const image = new Resvg(timelineSvg(timeline), { font: { loadSystemFonts: true } }).render();

      expect(image.width).toBe(1200);
      expect(image.height).toBe(78 + Math.max(1, timeline.rows.length) * 40 + 70);
    }
    expect(timelineSvg({ ...demoTimeline(), rows: [] })).toContain('no drain ran');
  });

  it('picks a tick step that puts at most eight ticks on the axis', () => {
    expect(tickStep(60)).toBe(10);
    expect(tickStep(1200)).toBe(300);
    expect(tickStep(8 * 3600)).toBe(3600);
    expect(tickStep(200 * 3600)).toBe(25 * 3600);
  });
});

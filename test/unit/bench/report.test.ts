import { describe, expect, it } from 'vitest';
import { chartSvg, renderPng } from '../../../bench/chart.js';
import { DEFAULT_CONFIG } from '../../../bench/config.js';
import { lengthTable } from '../../../bench/length-table.js';
import { comparisonTable, markdownTable, renderReport } from '../../../bench/report.js';
import { formatDuration, ratio, ratioLines } from '../../../bench/ratios.js';
import { type StrategyResult, writesPerSession } from '../../../bench/results.js';
import { STRATEGIES, type StrategyId, strategy } from '../../../bench/strategies.js';

function result(id: StrategyId, values: { dropped: number; refused?: number; atRisk?: number; p50?: number; transitions?: number; surge?: number; deployment?: number }): StrategyResult {
  const workflow = strategy(id).waits !== 'none';
  return {
    strategy: strategy(id),
    outcome: { sessions: 400, atRisk: values.atRisk ?? 200, dropped: values.dropped, droppedShare: values.dropped / (values.atRisk ?? 200), refused: values.refused ?? 0 },
    ...(workflow ? { latency: { samples: 20, ...(values.p50 === undefined ? {} : { p50: values.p50, p99: values.p50 * 2 }) } } : {}),
    drains: workflow ? 20 : 0,
    outcomes: workflow ? { DRAINED: 20 } : {},
    ...(values.transitions === undefined ? {} : { transitions: { measuredMean: values.transitions, pollsMean: 0, awsMean: values.transitions, awsMax: values.transitions }, costPerDrainUsd: values.transitions * 0.000025 }),
    ...(workflow ? { lambdaPerDrain: 4 } : {}),
    lambda: {},
    ddb: { writesPerSession: workflow ? 2.3 : 0, taskOpens: workflow ? 100 : 0, taskCloses: 90, orchestratorWrites: 30 },
    surgeTaskHours: values.surge ?? 1,
    ...(values.deployment === undefined ? {} : { deploymentSeconds: values.deployment }),
    run: { wallMs: 60_000, windowMs: 50_000, cpu: { moto: 1, nodeMain: 1, nodeOther: 1 }, problems: [], failures: workflow ? { DeploymentEventFunction: { errors: 1, timeouts: 1, asyncFailures: 0 } } : {} },
  };
}

const RESULTS = [
  result('native', { dropped: 200, refused: 3, deployment: 100 }),
  result('dereg-300', { dropped: 180, refused: 0, deployment: 400 }),
  result('dereg-3600', { dropped: 60, refused: 5, deployment: 3700 }),
  result('polling', { dropped: 0, refused: 12, p50: 20, transitions: 900, surge: 80, deployment: 30_000 }),
  result('ours', { dropped: 0, refused: 11, p50: 1, transitions: 10, surge: 60, deployment: 28_000 }),
];

describe('ratios', () => {
  it('divides ours by theirs, with a dash when theirs is 0 and n/a when either is missing', () => {
    expect(ratio(1, 4)).toBe('0.25x');
    expect(ratio(0, 199)).toBe('0.00x');
    expect(ratio(0, 0)).toBe('—');
    expect(ratio(3, 0)).toBe('—');
    expect(ratio(undefined, 3)).toBe('n/a');
    expect(ratio(3, undefined)).toBe('n/a');
  });

  it('prints one line per metric, ours first, then each alternative with its ratio', () => {
    const lines = ratioLines(RESULTS);

    expect(lines[0]).toBe('dropped sessions: ours 0 vs native 200 (0.00x), vs dereg 300 s 180 (0.00x), vs dereg 3600 s 60 (0.00x), vs polling 0 (—)');
    expect(lines.find((line) => line.startsWith('last session closed -> StopTask, p50'))).toBe(
      'last session closed -> StopTask, p50 (s): ours 1.0 vs native n/a (n/a), vs dereg 300 s n/a (n/a), vs dereg 3600 s n/a (n/a), vs polling 20.0 (0.05x)',
    );
    expect(lines.find((line) => line.startsWith('Step Functions state transitions'))).toContain('vs native 0.0 (—)');
    expect(lines.find((line) => line.startsWith('sessions refused'))).toBe(
      'sessions refused: ours 11 vs native 3 (3.67x), vs dereg 300 s 0 (—), vs dereg 3600 s 5 (2.20x), vs polling 12 (0.92x)',
    );
    expect(lines).toHaveLength(11);
  });

  it('prints nothing without the event-driven strategy', () => {
    expect(ratioLines(RESULTS.filter((candidate) => candidate.strategy.id !== 'ours'))).toEqual([]);
  });

  it('writes durations in the unit a reader expects', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(372)).toBe('6.2 min');
    expect(formatDuration(28_500)).toBe('7.92 h');
  });

  it('spreads the orchestrator writes over the sessions on top of the open and close', () => {
    expect(writesPerSession(100, 30)).toBeCloseTo(2.3);
    expect(writesPerSession(0, 30)).toBe(0);
  });
});

describe('report', () => {
  it('escapes pipes in markdown table cells', () => {
    expect(markdownTable(['a', 'b'], [['x|y', 'z']])).toBe('| a | b |\n|---|---|\n| x\\|y | z |');
  });

  it('puts every strategy in a column and every metric in a row', () => {
    const table = comparisonTable(RESULTS).split('\n');

    expect(table[0]).toBe(`| metric | ${STRATEGIES.map((candidate) => candidate.label).join(' | ')} |`);
    expect(table.find((row) => row.startsWith('| dropped sessions |'))).toBe('| dropped sessions | 200 | 180 | 60 | 0 | 0 |');
    expect(table.find((row) => row.startsWith('| sessions refused |'))).toBe('| sessions refused | 3 | 0 | 5 | 12 | 11 |');
    // Next to the dropped sessions: right after the dropped rows.
    expect(table.findIndex((row) => row.startsWith('| sessions refused |'))).toBe(table.findIndex((row) => row.startsWith('| dropped, %')) + 1);
    expect(table.find((row) => row.startsWith('| deployment duration |'))).toBe('| deployment duration | 100 s | 6.7 min | 61.7 min | 8.33 h | 7.78 h |');
  });

  it('names the date, the machine, the seed and the scale, links the chart and prints the ratio lines', () => {
    const text = renderReport({
      date: '2025-01-02T03:04:05.000Z',
      machine: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 4, os: 'Linux', node: 'v20.0.0', moto: '5.2.1', loadAtStart: 0.5 },
      loadAtEnd: 0.7,
      config: DEFAULT_CONFIG,
      pollRealSeconds: 5,
      results: RESULTS,
      lengths: lengthTable([{ drainSeconds: 580, transitions: 39, polls: 10, source: 'drain-length run' }], [{ drainSeconds: 590, transitions: 10, polls: 0, source: 'drain-length run' }], 30),
      timings: [{ label: 'ours', wallMs: 120_000, windowMs: 100_000, cpu: { moto: 50, nodeMain: 10, nodeOther: 9 } }],
      chartFile: 'latest.png',
      scaleReportFile: 'scale.md',
    });

    expect(text).toContain('2025-01-02T03:04:05.000Z');
    expect(text).toContain('Seed 7');
    expect(text).toContain('1 scenario second = 4.0 ms');
    expect(text).toContain('Test CPU, 2 cores');
    expect(text).toContain('moto 5.2.1');
    expect(text).toContain('](latest.png)');
    expect(text).toContain('dropped sessions: ours 0 vs native 200 (0.00x)');
    expect(text).toMatch(/\| 8 h \| — \| 2889 \(\$72\.2\d per 1,000 drains\) \| — \| 10 \(\$0\.25 per 1,000 drains\) \|/);
    expect(text).toContain('| ours | 120 s | 100 s | 50.0 | 10.0 | 9.0 |');
    expect(text).toContain('[scale.md](scale.md)');
    expect(text).toContain('handler failures (retried): DeploymentEvent 1 timed out');
    expect(text).toContain('| sessions refused | 3 | 0 | 5 | 12 | 11 |');
    expect(text).toContain('sessions refused: ours 11 vs native 3 (3.67x)');
    expect(text).toContain('dropped 0, refused 11 of 411 arrivals');
    expect(text).toContain('- **Sessions refused**: ');
    expect(text).toContain('A new task takes 60 s from launch to RUNNING');
  });
});

describe('latest.json', () => {
  it('keeps the refusals of every strategy, and --render prints the same row from it', () => {
    const saved = JSON.parse(JSON.stringify({ results: RESULTS })) as { results: StrategyResult[] };

    expect(saved.results.map((candidate) => [candidate.strategy.id, candidate.outcome.refused])).toEqual([
      ['native', 3],
      ['dereg-300', 0],
      ['dereg-3600', 5],
      ['polling', 12],
      ['ours', 11],
    ]);
    expect(comparisonTable(saved.results)).toBe(comparisonTable(RESULTS));
  });

  it('renders a latest.json from before the metric with n/a, not with zero refusals', () => {
    const old = JSON.parse(JSON.stringify(RESULTS, (key, value: unknown) => (key === 'refused' ? undefined : value))) as StrategyResult[];

    expect(comparisonTable(old).split('\n').find((row) => row.startsWith('| sessions refused |'))).toBe('| sessions refused | n/a | n/a | n/a | n/a | n/a |');
    expect(chartSvg(old, 'footnote')).toContain('>n/a<');
  });
});

describe('chart', () => {
  it('draws a labelled bar per strategy in each panel and renders a PNG', () => {
    const svg = chartSvg(RESULTS, 'footnote');

    expect(svg.match(/>ours</g)).toHaveLength(4);
    expect(svg).toContain('200 (100%)');
    expect(svg).toContain('>Sessions refused<');
    expect(svg).toContain('>11<');
    expect(svg).toContain('$0.25');
    expect(svg).toContain('>none<');
    const png = renderPng(svg);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });
});

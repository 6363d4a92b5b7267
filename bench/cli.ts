import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { anyText, commandLine, fail, listOf, numberAtMost, positiveWholeNumber } from '@ecs-session-drain/local';
import { chartSvg, renderPng } from './chart.js';
import { runComparison } from './comparison.js';
import { type BenchConfig, DEFAULT_CONFIG } from './config.js';
import { machineInfo } from './machine.js';
import { ratioLines } from './ratios.js';
import { type BenchReport, renderReport } from './report.js';
import { pollRealSeconds } from './workflow.js';
import { ECS_THROTTLING, runScale, type ScaleResult } from './scale.js';
import { renderScaleReport, type ScaleReport, scaleVerdict } from './scale-report.js';

/**
 * npm run bench                 the five strategies side by side, then the drain-length runs
 *                               (about 10 minutes on 2 cores): bench/results/latest.md and .png
 * npm run bench -- --scale-run  one deployment draining many tasks (--tasks 200,1000 ...; about
 *                               20 minutes for 1,000 on 2 cores): bench/results/scale.md
 */
const { values } = commandLine({
  command: 'npm run bench --',
  summary: [
    'The five drain strategies side by side on one rolling deployment, then the drain-length runs (about',
    '10 minutes on 2 cores): bench/results/latest.md and latest.png. With --scale-run: one deployment',
    'draining many tasks (about 20 minutes for 1,000 on 2 cores): bench/results/scale.md.',
  ].join('\n'),
  flags: {
    seed: { type: 'string', placeholder: 'n', check: positiveWholeNumber, description: `seed of the sessions (default ${DEFAULT_CONFIG.seed})` },
    scale: { type: 'string', placeholder: 'seconds', check: numberAtMost(1), description: `real seconds per scenario second (default ${DEFAULT_CONFIG.scale}, with --scale-run 0.01)` },
    'skip-lengths': { type: 'boolean', description: 'leave out the drain-length runs' },
    'scale-run': { type: 'boolean', description: 'run the scale runs instead of the comparison' },
    tasks: { type: 'string', placeholder: 'n,n,...', default: '1000', check: listOf(positiveWholeNumber, 'a comma-separated list of whole numbers greater than 0'), description: 'task counts of the scale runs' },
    render: { type: 'boolean', description: 'rewrite the reports from the last results (latest.json, scale.json) without running anything' },
    out: { type: 'string', placeholder: 'dir', check: anyText, description: 'where the results go (default bench/results)' },
  },
});

const OUT = values.out ?? fileURLToPath(new URL('./results', import.meta.url));
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const round1 = (value: number) => Math.round(value * 10) / 10;

type Saved = Omit<BenchReport, 'chartFile' | 'scaleReportFile' | 'pollRealSeconds'>;

/** latest.md and the chart from what a run measured (latest.json). */
function writeReport(saved: Saved): void {
  mkdirSync(OUT, { recursive: true });
  const svg = chartSvg(saved.results, `npm run bench, ${saved.date.slice(0, 10)}, seed ${saved.config.seed}: ${saved.config.tasks} tasks, a rolling deployment, sessions of median 40 min (see latest.md)`);
  writeFileSync(join(OUT, 'latest.png'), renderPng(svg));
  writeFileSync(join(OUT, 'latest.md'), renderReport({ ...saved, pollRealSeconds: pollRealSeconds(saved.config), chartFile: 'latest.png', scaleReportFile: 'scale.md' }));
}

/** --render: the reports again from latest.json and scale.json, without running anything (after a change to the reports' text). */
function renderOnly(): Promise<void> {
  if (existsSync(join(OUT, 'latest.json'))) {
    writeReport(JSON.parse(readFileSync(join(OUT, 'latest.json'), 'utf8')) as Saved);
    log(`rewrote ${join(OUT, 'latest.md')} and latest.png from latest.json`);
  }
  if (existsSync(join(OUT, 'scale.json'))) {
    writeFileSync(join(OUT, 'scale.md'), renderScaleReport(JSON.parse(readFileSync(join(OUT, 'scale.json'), 'utf8')) as ScaleReport));
    log(`rewrote ${join(OUT, 'scale.md')} from scale.json`);
  }
  return Promise.resolve();
}

async function comparison(): Promise<void> {
  const config: BenchConfig = { ...DEFAULT_CONFIG, seed: values.seed ?? DEFAULT_CONFIG.seed, scale: values.scale ?? DEFAULT_CONFIG.scale };
  const machine = machineInfo();
  log(`benchmark: seed ${config.seed}, 1 scenario second = ${config.scale * 1000} ms; ${machine.cpuModel} x ${machine.cores}, load ${machine.loadAtStart}`);
  const result = await runComparison(config, { lengths: !values['skip-lengths'], log });
  const saved: Saved = {
    date: new Date().toISOString(),
    machine,
    loadAtEnd: round1(loadavg()[0] ?? 0),
    config,
    results: result.results,
    ...(result.lengths ? { lengths: result.lengths } : {}),
    ...(result.calibration ? { calibration: result.calibration } : {}),
    timings: result.timings,
  };
  writeReport(saved);
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(saved, null, 2)}\n`);
  console.log(`\n${ratioLines(result.results).join('\n')}\n`);
  log(`wrote ${join(OUT, 'latest.md')} and latest.png`);
}

async function scaleRun(): Promise<void> {
  const sizes = values.tasks;
  const machine = machineInfo();
  const scale = values.scale ?? 0.01;
  const runs: ScaleResult[] = [];
  for (const tasks of sizes) {
    log(`== scale run: ${tasks} tasks`);
    const run = await runScale({ tasks, scale, throttling: ECS_THROTTLING, phaseBudgetMs: 30 * 60_000, stallMs: 150_000, log });
    runs.push(run);
    log(scaleVerdict(run));
  }
  mkdirSync(OUT, { recursive: true });
  const report: ScaleReport = { date: new Date().toISOString(), machine, loadAtEnd: round1(loadavg()[0] ?? 0), scale, runs };
  writeFileSync(join(OUT, 'scale.md'), renderScaleReport(report));
  writeFileSync(join(OUT, 'scale.json'), `${JSON.stringify(report, null, 2)}\n`);
  for (const run of runs) console.log(`${run.tasks} tasks: ${scaleVerdict(run)}; deploy -> end ${(run.phases.totalMs / 1000).toFixed(0)} s`);
  log(`wrote ${join(OUT, 'scale.md')}`);
}

(values.render ? renderOnly() : values['scale-run'] ? scaleRun() : comparison()).then(() => process.exit(0), fail);

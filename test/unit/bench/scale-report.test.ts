import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderScaleReport } from '../../../bench/scale-report.js';
import { drainStartsByFunction, type ScaleResult } from '../../../bench/scale.js';

const MACHINE = { cpuModel: 'Test CPU', cores: 2, memoryGiB: 4, os: 'Linux', node: 'v20.0.0', moto: '5.2.1', loadAtStart: 1 };

function run(tasks: number, overrides: Partial<ScaleResult> = {}): ScaleResult {
  return {
    tasks,
    throttling: { ratePerSecond: 20, burst: 50 },
    executions: tasks,
    byStatus: { SUCCEEDED: tasks },
    byOutcome: { DRAINED: tasks },
    tasksDrained: tasks,
    duplicateTasks: 0,
    oldTasksStopped: tasks,
    deploymentCompleted: true,
    phases: { setupMs: 8000, fanOutMs: 60_000, fanOutComplete: true, drainMs: 50_000, totalMs: 110_000 },
    startRate: tasks / 60,
    startedBy: { DeploymentEventFunction: tasks },
    invocations: { DeploymentEventFunction: 2, RecordDrainFunction: tasks },
    handlerMs: { DeploymentEventFunction: 60_000, RecordDrainFunction: 30_000 },
    failures: { DeploymentEventFunction: { errors: 1, timeouts: 1, asyncFailures: 0 } },
    ecsCalls: { StopTask: tasks, UpdateTaskProtection: tasks / 10 },
    ecsThrottled: {},
    gatewayMoto: { 'states.StartExecution': tasks },
    cpu: { moto: 80, nodeMain: 4, nodeOther: 12 },
    problems: [],
    ...overrides,
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('scale report', () => {
  it('counts the drains each function logged as started', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-logs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'DeploymentEventFunction.log'), '{"message":"drain started","taskArn":"a"}\n{"message":"deployment handled"}\n{"message":"drain started","taskArn":"b"}\n');
    writeFileSync(join(dir, 'ReconcilerFunction.log'), '{"message":"drain started","taskArn":"c"}\n');
    writeFileSync(join(dir, 'moto.log'), '"message":"drain started"\n');

    expect(drainStartsByFunction(dir)).toEqual({ DeploymentEventFunction: 2, ReconcilerFunction: 1 });
    expect(drainStartsByFunction(join(dir, 'missing'))).toEqual({});
  });

  it('gives each run its verdict, phases, functions and ECS calls, then what bounds AWS', () => {
    const text = renderScaleReport({
      date: '2025-01-02T03:04:05.000Z',
      machine: MACHINE,
      loadAtEnd: 2,
      scale: 0.01,
      runs: [run(100), run(1000, { executions: 990, tasksDrained: 990, byOutcome: { DRAINED: 990 }, startedBy: { DeploymentEventFunction: 60, ReconcilerFunction: 930 }, ecsThrottled: { StopTask: 3 } })],
    });

    expect(text).toContain('### 100 tasks: PASS: 100 drains started, 100 ended DRAINED, none duplicated, every old task stopped');
    expect(text).toContain('### 1000 tasks: FAIL: 990 of 1000 tasks got a drain (10 never did)');
    expect(text).toContain('| drains started by (their "drain started" log lines) | DeploymentEvent 60, Reconciler 930 |');
    expect(text).toContain('No ECS call was throttled');
    expect(text).toContain('| fan-out: deploy -> every drain waiting | 60 s (16.7 drains started per second) |');
    expect(text).toContain('| DeploymentEvent | 2 | 60.0 | 1 timeouts, 1 errors, 0 events given up |');
    expect(text).toContain('| StopTask | 1000 | 3 |');
    expect(text).toContain('3 ECS calls were throttled and retried by the SDK.');
    expect(text).toContain('about 1000 ms of deployment-handler time per drain it started');
    expect(text).toContain('## What bounds a real AWS run');
  });
});

import { describe, expect, it } from 'vitest';
import { classifyTaskWrite, countsDelta, cpuSecondsOfStat } from '../../../bench/observe.js';
import { inBatches, taskIdOfExecution, untilStalled } from '../../../bench/scale.js';
import { scaleVerdict } from '../../../bench/scale-report.js';
import type { ScaleResult } from '../../../bench/scale.js';

describe('task write classification', () => {
  it('tells the four writes of the registry contract apart and ignores reads', () => {
    expect(classifyTaskWrite({ UpdateExpression: 'SET heartbeatAt = :now' })).toBe('heartbeat');
    expect(classifyTaskWrite({ UpdateExpression: 'SET taskArn = :taskArn, clusterArn = :clusterArn' })).toBe('register');
    expect(classifyTaskWrite({ TransactItems: [{ Put: {} }, { Update: { UpdateExpression: 'ADD sessionCount :one SET heartbeatAt = :now' } }] })).toBe('open');
    expect(classifyTaskWrite({ TransactItems: [{ Delete: {} }, { Update: { UpdateExpression: 'ADD sessionCount :minusOne SET heartbeatAt = :now' } }] })).toBe('close');
    expect(classifyTaskWrite({ Key: { pk: 'x' }, ConsistentRead: true })).toBeUndefined();
  });
});

describe('CPU accounting', () => {
  it('reads utime + stime from a /proc stat line, whose command may hold spaces and parentheses', () => {
    const stat = '1234 (python3 -m (moto)) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 7 0 100 1000 100';

    expect(cpuSecondsOfStat(stat)).toBeCloseTo(3);
  });

  it('keeps only the counters that changed', () => {
    expect(countsDelta({ a: 1, b: 2 }, { a: 1, b: 5, c: 1 })).toEqual({ b: 3, c: 1 });
  });
});

describe('scale run helpers', () => {
  it('names the task a drain execution is for', () => {
    expect(taskIdOfExecution('drain-0123abcd-2')).toBe('0123abcd');
    expect(taskIdOfExecution('manual-run')).toBeUndefined();
  });

  it('runs work over all items with bounded concurrency', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];

    await inBatches([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push(item);
      running -= 1;
    });

    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('gives up waiting once progress stops, and succeeds once the goal is reached', async () => {
    let progress = 0;
    const timer = setInterval(() => (progress += 1), 5);

    expect(await untilStalled(() => progress >= 3, () => progress, 1000, 5000, 2)).toBe(true);
    clearInterval(timer);
    expect(await untilStalled(() => false, () => progress, 30, 5000, 5)).toBe(false);
  });

  it('passes only when every task got exactly one drain that ended DRAINED', () => {
    const run = { tasks: 3, executions: 3, tasksDrained: 3, duplicateTasks: 0, byOutcome: { DRAINED: 3 } } as unknown as ScaleResult;

    expect(scaleVerdict(run)).toMatch(/^PASS/);
    expect(scaleVerdict({ ...run, executions: 2, tasksDrained: 2, byOutcome: { DRAINED: 2 } })).toBe(
      'FAIL: 2 of 3 tasks got a drain (1 never did), 2 ended DRAINED, 0 tasks with more than one drain',
    );
    expect(scaleVerdict({ ...run, executions: 4, duplicateTasks: 1 })).toMatch(/^FAIL/);
  });
});

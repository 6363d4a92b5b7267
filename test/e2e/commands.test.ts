import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { npmRun } from '../support/npm-run.js';
import { isRunning } from '../support/processes.js';

/**
 * The README's local commands whose scenarios run in compressed time, run as a user runs them:
 * npm run local (stopped with Ctrl-C) and npm run demo, with simulated apps and with real processes
 * (whose exit code says whether a session was dropped). npm run invoke, which waits on nothing but
 * itself, is tested in test/commands/.
 */
describe('the local cloud commands', () => {
  it('npm run local, as the README prints it, comes up, and Ctrl-C stops it with every child process', async () => {
    // The banner comes at once; users arrive once the tasks passed their health checks (2.5 minutes
    // at the default scale), which this test does not wait for.
    const run = await npmRun('local', [], { text: /waiting for 3 tasks to pass their health checks/, then: (child) => process.kill(-(child.pid ?? 0), 'SIGINT') });
    const motoPid = Number(/moto pid\s+(\d+)/.exec(run.output)?.[1]);

    expect(run.output).toMatch(/endpoint\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(run.output).toMatch(/console\s+http:\/\/127\.0\.0\.1:\d+\//);
    expect(run.output).toMatch(/drain control\s+ecs-session-drain-DrainControlFunction/);
    expect(run.output).toMatch(/ECS twin\s+cluster "sessions", service "chat" with 3 tasks and about 20 sessions/);
    // npm itself dies of the SIGINT; the local cloud under it exits 130 after stopping its children.
    expect(run.code === 130 || run.signal === 'SIGINT', `exit ${run.code} ${run.signal}`).toBe(true);
    expect(run.output).toMatch(/SIGINT: stopping the local cloud/);
    expect(motoPid).toBeGreaterThan(0);
    // npm may exit before the local cloud under it has reaped moto: a loaded machine takes a moment.
    await vi.waitFor(() => expect(isRunning(motoPid)).toBe(false), { timeout: 10_000, interval: 200 });
  });

  it('npm run demo keeps every session it can and says so in its exit code, with its console and timeline', async () => {
    // The console answers as soon as the demo prints its address (test/e2e/console drives it in a browser).
    const consoleLine = /^console {2}(http:\/\/127\.0\.0\.1:\d+\/)$/m;
    let consoleAnswer: Promise<[string, string]> | undefined;
    const run = await npmRun('demo', [], {
      text: consoleLine,
      then: (_child, output) => {
        const url = consoleLine.exec(output)?.[1] ?? '';
        consoleAnswer = Promise.all([fetch(url).then((response) => response.text()), fetch(`${url}api/state`).then((response) => response.text())]);
      },
    });
    const [page, state] = (await consoleAnswer) ?? ['', '{}'];
    const timeline = /^drain timeline {2}(\S+\/drain-timeline\.svg)$/m.exec(run.stdout)?.[1];

    // Which sessions were dropped, on which task, why and how long before the stop: printed before the tables.
    const drops = run.output.match(/^dropped \S+ on task .*$/gm) ?? [];
    expect(run.code, [...drops, run.output.slice(-3000)].join('\n')).toBe(0);
    expect(run.output).toMatch(/dropped where they should not have been\s+0/);
    expect(run.output).toMatch(/DRAINED\s+\d+\s+.*DEPLOYMENT/);
    expect(run.output).toMatch(/Wait for sessions to drain/);
    expect(page).toContain('<title>ecs-session-drain · local console</title>');
    expect(JSON.parse(state)).toMatchObject({ services: expect.any(Array), drains: expect.any(Array), sessions: { dropped: 0 } });
    expect(timeline, run.stdout.slice(-2000)).toMatch(/\.local-cloud\/logs\//);
    expect(readFileSync(timeline ?? '', 'utf8').match(/<g class="drain"/g)?.length).toBeGreaterThanOrEqual(6);
  }, 240_000);

  it('npm run demo -- --processes shows real processes: none cut off with the orchestrator, some without it', async () => {
    const run = await npmRun('demo', ['--processes']);

    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(run.output).toMatch(/\| deployment, with the orchestrator\s+\|\s+100 \|\s+0 \|\s+0 \|/);
    expect(run.output).toMatch(/\| deployment, without it\s+\|\s+\d+ \|\s+\d+ \|\s+[1-9]\d* \|/);
    expect(run.output).toMatch(/\| Spot interruption \(\d+ reconnected\)\s+\|\s+0 \|\s+[1-9]\d* \|\s+0 \|/);
    expect(run.output).toMatch(/sessions\/[0-9a-f]{32}\s+node pid \d+\s+exited 0/);
  }, 240_000);
});

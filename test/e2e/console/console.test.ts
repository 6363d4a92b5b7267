import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentState, type LocalConsole, Rehearsal, runningTasks, startConsole } from '@ecs-session-drain/local';
import { taskDefinitionArn } from '../support/scenario.js';
import { type Browser, launchChromium } from './chromium.js';

/**
 * Issue 14: the local console in a real browser. Headless Chromium opens the console while a
 * service of three tasks holds sessions, then a rolling deployment replaces them. What the page
 * showed is read from its DOM as a person would have watched it: the old tasks DRAINING, their
 * session counts falling, a drain's graph reaching "Drained". Screenshots of those moments are
 * left in test/e2e/console/screenshots/ for a person to open.
 */
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const durations = { medianSeconds: 3 * 60, sigma: 0.5, maxSeconds: 8 * 60 };
/** Users on each old task who stay until the test lets them go. */
const USERS_PER_TASK = 5;
/** The deployed workflow's states: the console draws the graph from it. */
const ASL_STATES = Object.keys((JSON.parse(readFileSync(new URL('../../../statemachines/drain.asl.json', import.meta.url), 'utf8')) as { States: object }).States).length;

/** One look at the page's task rows: per task, its revision, drain status and session count. */
async function taskRows(page: Page): Promise<Array<{ taskId: string; revision: string; drainStatus: string; sessions: string }>> {
  return page.$$eval('#services tr[data-task-id]', (rows) =>
    rows.map((row) => ({
      taskId: row.getAttribute('data-task-id') ?? '',
      revision: row.querySelector('.revision')?.textContent ?? '',
      drainStatus: row.querySelector('.drain-status')?.firstChild?.textContent ?? '',
      sessions: row.querySelector('.sessions .count')?.textContent ?? '',
    })),
  );
}

describe('the local console, watched in a browser during a rolling deployment', () => {
  let rehearsal: Rehearsal;
  let localConsole: LocalConsole;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** Per old task: the session counts the page showed while the task was DRAINING, in order. */
  const drainingCounts = new Map<string, number[]>();
  let deploymentShownInProgress = false;
  let drainedExecution = '';

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    rehearsal = await Rehearsal.start({ scale: 0.01 });
    localConsole = await startConsole(rehearsal, { refreshMs: 300 });
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(localConsole.url);

    const clusterArn = rehearsal.twin.createCluster('sessions');
    rehearsal.twin.createService({ cluster: clusterArn, name: 'chat', desiredCount: 3, taskDefinition: taskDefinitionArn(rehearsal, 'chat', 1), stopTimeoutSeconds: 120 });
    await rehearsal.waitFor('3 tasks accepting sessions', () => rehearsal.apps.acceptingTasks().length === 3);
    // Each task holds five users who stay until the test lets them go: one at a time once the page
    // shows their task DRAINING, each after the page showed the last one leave, so that the page
    // watches each old task's count fall while it drains, however long a loaded machine takes to
    // get there (sessions of fixed length ended before the drains began in a busy run). Other
    // users keep arriving meanwhile, and go to the new tasks once the old ones drain.
    /** Per old task (by id, as the page names it): its ARN and how many held users are left. */
    const held = new Map<string, { taskArn: string; left: number }>();
    for (const task of rehearsal.apps.acceptingTasks()) {
      await rehearsal.openSessions(task.taskArn, USERS_PER_TASK, 8 * 3600, 'held');
      held.set(task.taskArn.split('/').pop() ?? '', { taskArn: task.taskArn, left: USERS_PER_TASK });
    }
    // Deploy once the tasks are protected, or ECS replaces them before any drain can begin (their users cut).
    await rehearsal.waitFor('every task protected', () => runningTasks(rehearsal.twin, 'chat').every((task) => task.protection.enabled), 15_000, 100);
    const workload = rehearsal.workload({ seed: 14, arrivalsPerMinute: 2, durations });
    workload.start();
    await rehearsal.waitFor('the page to show 3 tasks holding sessions', async () => (await taskRows(page)).filter((row) => Number(row.sessions) > 0).length === 3, 15_000, 150);
    await page.screenshot({ path: `${SCREENSHOTS}1-service-with-sessions.png`, fullPage: true });

    const deploymentId = rehearsal.twin.deploy(clusterArn, 'chat', taskDefinitionArn(rehearsal, 'chat', 2));
    let screenshotDraining = true;
    await rehearsal.waitFor(
      'the deployment to complete, watched on the page',
      async () => {
        deploymentShownInProgress ||= (await page.locator(`#deployments tr[data-deployment="${deploymentId}"] .rollout.IN_PROGRESS`).count()) > 0;
        for (const row of await taskRows(page)) {
          if (row.revision !== 'chat:1' || row.drainStatus !== 'DRAINING') continue;
          drainingCounts.set(row.taskId, [...(drainingCounts.get(row.taskId) ?? []), Number(row.sessions)]);
          // The page shows what is left of the held users: the next one leaves.
          const users = held.get(row.taskId);
          if (users !== undefined && users.left > 0 && Number(row.sessions) === users.left) {
            users.left -= 1;
            await rehearsal.apps.endSessions(users.taskArn, 1);
          }
          if (screenshotDraining && drainingCounts.size === 3) {
            screenshotDraining = false;
            await page.screenshot({ path: `${SCREENSHOTS}2-old-tasks-draining.png`, fullPage: true });
          }
        }
        return deploymentState(rehearsal.twin, 'chat', deploymentId) === 'COMPLETED';
      },
      90_000,
      150,
    );
    await workload.stop();

    // The operator picks a drain that ended DRAINED and looks at its graph.
    const drained = page.locator('#drains tr[data-execution]', { has: page.locator('td.outcome', { hasText: /^DRAINED$/ }) }).first();
    await drained.waitFor({ timeout: 15_000 });
    drainedExecution = (await drained.getAttribute('data-execution')) ?? '';
    await drained.click();
    await page.locator('#graph g.state.current[data-state="Drained"][data-status="succeeded"]').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${SCREENSHOTS}3-drain-reached-drained.png`, fullPage: true });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await localConsole?.stop();
    await rehearsal?.stop();
  });

  it('shows the deployment in progress and every old task DRAINING, its session count falling', () => {
    const oldTasks = rehearsal.twin.snapshot().tasks.filter((task) => task.taskDefinitionArn.endsWith(':1'));
    const falling = [...drainingCounts.values()].filter((counts) => Math.min(...counts) < counts[0]!);

    expect(deploymentShownInProgress).toBe(true);
    expect([...drainingCounts.keys()].sort()).toEqual(oldTasks.map((task) => task.taskId).sort());
    // Counts only fall while a task drains (no new session reaches it), and at least one fell in view.
    for (const [taskId, counts] of drainingCounts) expect(counts, taskId).toEqual([...counts].sort((a, b) => b - a));
    expect(falling.length, JSON.stringify([...drainingCounts])).toBeGreaterThan(0);
  });

  it("shows a drain's graph at Drained: the states it went through succeeded, the ones it skipped not visited", async () => {
    const status = (state: string) => page.locator(`#graph g.state[data-state="${state}"]`).getAttribute('data-status');

    expect(await page.locator('#drain').getAttribute('data-execution')).toBe(drainedExecution);
    expect(await status('Record drain')).toBe('succeeded');
    expect(await status('Wait for sessions to drain')).toBe('succeeded');
    expect(await status('Sessions drained')).toBe('succeeded');
    expect(await status('Drained')).toBe('succeeded');
    expect(await status('Deadline reached')).toBe('none');
    expect(await status('Launch replacement')).toBe('none');
    expect(await page.locator('#history tbody tr').last().textContent()).toContain('ExecutionSucceeded');
  });

  it("counts sessions as the users' ledger does: none dropped, none refused, and no error on the page", async () => {
    const summary = rehearsal.ledger.summary();
    // The page is a refresh behind the ledger at most; drops and refusals do not change after the run.
    const counter = (name: string) => page.locator(`#sessions [data-counter="${name}"] strong`).textContent();

    expect(await counter('dropped')).toBe(String(summary.dropped));
    expect(await counter('refused')).toBe(String(summary.rejected));
    expect(summary.dropped).toBe(0);
    expect(summary.rejected).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('only reads: a POST is refused and an unknown path is not found, each with a message', async () => {
    const post = await fetch(localConsole.url, { method: 'POST', body: '{}' });
    const unknown = await fetch(`${localConsole.url}api/nothing`);
    const graph = (await (await fetch(`${localConsole.url}api/graph`)).json()) as { startAt: string; states: unknown[] };

    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ message: 'POST is not allowed: the console only reads' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: 'no such page: /api/nothing' });
    expect(graph.startAt).toBe('Record drain');
    expect(graph.states).toHaveLength(ASL_STATES);
  });
});

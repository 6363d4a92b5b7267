import { describe, expect, it } from 'vitest';
import { npmRun } from '../support/npm-run.js';

/**
 * npm run invoke as README shows it: what it prepares, what it says about a cluster out of scope,
 * and a function the template does not have. Every sample in events/: invoke-aws-event-samples.test.ts and invoke-workflow-samples.test.ts.
 */
describe('npm run invoke', () => {
  it('npm run invoke makes the task a sample names real, then runs the function on it and prints its answer', async () => {
    const run = await npmRun('invoke', ['DrainControlFunction', 'events/drain-control-cancel.json']);

    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/prepared: service "chat" in cluster "sessions" runs the sample's task 0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c/);
    expect(run.output).toMatch(/prepared: DrainControlFunction started a drain/);
    expect(run.stdout).toMatch(/"ok": true/);
  });

  it('npm run invoke says which parameter would put a foreign cluster in scope', async () => {
    const run = await npmRun('invoke', ['SpotInterruptionFunction', 'events/negative/other-cluster-spot-warning.json']);

    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/note: the event's cluster (\S+) is not in ClusterArns .*; to act on it: --parameter-overrides ClusterArns=\1/);
  });

  it('npm run invoke names the functions when asked for one the template does not have', async () => {
    const run = await npmRun('invoke', ['NoSuchFunction', 'events/task-stopped.json']);

    expect(run.code).toBe(2);
    expect(run.output).toMatch(/template.yaml has no function NoSuchFunction; functions: DeploymentEventFunction/);
  });
});

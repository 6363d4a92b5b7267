import { describe, expect, it } from 'vitest';
import { npmRun } from '../support/npm-run.js';

/**
 * npm run invoke as README shows it: what it says about a cluster out of scope, and about a
 * function the template does not have. What it prepares for a sample: samples.ts. Every sample in events/: invoke-aws-event-samples.test.ts and invoke-workflow-samples.test.ts.
 */
describe('npm run invoke', () => {
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

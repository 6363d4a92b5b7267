import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCfnYaml } from '../../support/cfn-yaml.js';

/*
 * examples/service/template.yaml, the service a newcomer copies, held to the stack and the code it
 * wires to: the drain stack's outputs it asks for, the agent's settings it sets, the session
 * server's routes it checks, and cfn-lint.
 */

const EXAMPLE = 'examples/service/template.yaml';

const example = loadCfnYaml(EXAMPLE);
const stack = loadCfnYaml('template.yaml');
const app = example.Resources.TaskDefinition.Properties.ContainerDefinitions[0];
const environment = Object.fromEntries((app.Environment as { Name: string; Value: unknown }[]).map(({ Name, Value }) => [Name, Value]));

describe('the example service template', () => {
  it('asks only for drain stack outputs that the stack has', () => {
    const fromStack = Object.entries(example.Parameters as Record<string, { Description?: string }>)
      .filter(([, parameter]) => /drain stack's output/.test(parameter.Description ?? ''))
      .map(([name]) => name);

    expect(fromStack).toEqual(['RegistryTableName', 'TaskRegistryPolicyArn']);
    for (const name of fromStack) expect(Object.keys(stack.Outputs)).toContain(name);
  });

  it('gives the task role the registry policy and the app the registry table', () => {
    expect(example.Resources.TaskRole.Properties.ManagedPolicyArns).toEqual([{ Ref: 'TaskRegistryPolicyArn' }]);
    expect(environment.SESSION_REGISTRY_TABLE).toEqual({ Ref: 'RegistryTableName' });
  });

  it('sets only environment variables the agent reads, the stop timeout equal to the container stopTimeout', () => {
    const settings = readFileSync('agent/src/settings.ts', 'utf8');

    for (const name of Object.keys(environment)) expect(settings).toContain(`env.${name}`);
    expect(app.StopTimeout).toBeLessThanOrEqual(120);
    expect(Number(environment.SESSION_AGENT_STOP_TIMEOUT_SECONDS)).toBe(app.StopTimeout);
  });

  it("checks the session server's liveness route, never its readiness route, from the service's target group", () => {
    const server = readFileSync('examples/session-server/session-server.ts', 'utf8');
    const path = example.Resources.TargetGroup.Properties.HealthCheckPath;

    expect(path).toBe('/livez');
    expect(server).toContain(`'${path}'`);
  });

  it('rolls out new tasks before old ones leave, with the circuit breaker on', () => {
    expect(example.Resources.Service.Properties.DeploymentConfiguration).toEqual({
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
  });

  it('passes cfn-lint with nothing to report', () => {
    const lint = spawnSync('cfn-lint', [EXAMPLE], { encoding: 'utf8', timeout: 120_000 });
    if (lint.error !== undefined) throw new Error(`cfn-lint could not run (${lint.error.message}); install it with: pip install cfn-lint`);

    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  }, 120_000);
});
